//! The [`Engine`]: a pack set behind an atomic pointer, queried from any thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::diagnose::{self, Diagnosis, Query, QueryLimits};
use crate::error::{Error, PackError, Result};
use crate::facts::FactDecl;
use crate::outcomes::{Feedback, Gap, GapsQuery, OutcomeOptions, Outcomes};
use crate::pack::{source, LoadOptions, Origin, PackSource};
use crate::script::Limits;
use crate::set::PackSet;

/// A folder to load packs from, and whether the caller named it.
#[derive(Debug, Clone)]
struct PackDir {
    path: PathBuf,
    /// Given to [`EngineBuilder::pack_dir`] (a pack must be there), as opposed to found on
    /// the pack path from the environment (which may well hold nothing).
    explicit: bool,
}

/// What to load: the embedded packs, folders, or both.
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    builtin: bool,
    dirs: Vec<PackDir>,
    strict: bool,
    load: LoadOptions,
    query: QueryLimits,
    trust: crate::archive::Trust,
    outcomes: Option<PathBuf>,
    outcome_options: OutcomeOptions,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            builtin: true,
            dirs: Vec::new(),
            strict: false,
            load: LoadOptions::default(),
            query: QueryLimits::default(),
            trust: crate::archive::Trust::default(),
            outcomes: None,
            outcome_options: OutcomeOptions::default(),
        }
    }
}

impl EngineBuilder {
    /// Whether to load the packs embedded in the binary (default `true`).
    pub fn builtin(mut self, yes: bool) -> Self {
        self.builtin = yes;
        self
    }

    /// Adds a folder: a pack (holding `pack.toml`) or a folder of packs.
    ///
    /// A folder given here must hold a pack, in every mode (strict or not): building or
    /// reloading fails with [`Error::Io`] when the folder cannot be read (e.g. it does not
    /// exist), and with [`Error::Pack`] (one `io` [`PackError`] naming the folder) when it
    /// holds neither a `pack.toml` nor a sub-folder with one. So a reload that finds a pack's
    /// `pack.toml` gone (deleted, or mid-way through an editor's save) fails and keeps the
    /// loaded set instead of silently dropping the pack. Broken packs inside the folder are
    /// skipped in lenient mode (see [`Engine::skipped`]) and fatal in strict mode.
    pub fn pack_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push(PackDir {
            path: dir.into(),
            explicit: true,
        });
        self
    }

    /// Adds folders, like [`EngineBuilder::pack_dir`].
    pub fn pack_dirs<P: Into<PathBuf>>(mut self, dirs: impl IntoIterator<Item = P>) -> Self {
        self.dirs.extend(dirs.into_iter().map(|d| PackDir {
            path: d.into(),
            explicit: true,
        }));
        self
    }

    /// Adds the user's pack path: every folder in `FIXBOOK_PACK_PATH` (colon-separated),
    /// then the user's data folder (`$XDG_DATA_HOME/fixbook/packs`, else
    /// `~/.local/share/fixbook/packs`). This is the only place the engine reads the
    /// environment, and only when called.
    ///
    /// Unlike [`EngineBuilder::pack_dir`], a folder on the pack path may hold no pack (a
    /// missing one is still reported).
    pub fn pack_path_from_env(mut self) -> Self {
        self.dirs
            .extend(default_pack_path().into_iter().map(|path| PackDir {
                path,
                explicit: false,
            }));
        self
    }

    /// Which pack archives (`.fixbook` files given to [`EngineBuilder::pack_dir`] or found
    /// in a folder) to load: signed by a trusted key, or unsigned when the trust allows it.
    /// Default: trust no key, allow no unsigned archive. An archive refused is reported like
    /// a broken pack (kind `archive`).
    pub fn archive_trust(mut self, trust: crate::archive::Trust) -> Self {
        self.trust = trust;
        self
    }

    /// Strict mode: any broken pack fails the load (default: skip it and report it).
    pub fn strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// Script limits for packs that set none.
    pub fn script_limits(mut self, limits: Limits) -> Self {
        self.load.defaults = limits;
        self
    }

    /// The most a pack may raise its script limits to.
    pub fn script_ceiling(mut self, limits: Limits) -> Self {
        self.load.ceiling = limits;
        self
    }

    /// Bytes of input a query reads at most (default 16 MiB).
    pub fn max_input_bytes(mut self, bytes: usize) -> Self {
        self.query.max_input_bytes = bytes;
        self
    }

    /// Time the checks of one query may take together (default 250 ms): once it is spent,
    /// the checks of the remaining candidates are not run and get an `error` verdict. The
    /// checks of one candidate run together, each bounded by its script limits.
    pub fn max_check_time(mut self, time: std::time::Duration) -> Self {
        self.query.max_check_time = time;
        self
    }

    /// Keeps the text index in `dir` between starts, keyed by the packs' content, so that the
    /// next start with the same packs skips indexing (a changed pack or engine
    /// misses it; a corrupt entry is rebuilt). Off by default; [`crate::default_cache_dir`]
    /// gives the conventional folder.
    pub fn index_cache(mut self, dir: Option<PathBuf>) -> Self {
        self.load.index_cache = dir;
        self
    }

    /// Opens (or creates) the outcome store at `path`, an SQLite file: feedback is recorded
    /// there, diagnoses that match nothing too, and resolution history adjusts the ranking
    /// (see [`crate::outcomes`]). Off by default.
    pub fn outcomes(mut self, path: impl Into<PathBuf>) -> Self {
        self.outcomes = Some(path.into());
        self
    }

    /// How the outcome store keeps texts (masked or whole) and for how long.
    pub fn outcome_options(mut self, options: OutcomeOptions) -> Self {
        self.outcome_options = options;
        self
    }

    /// Loads the packs and builds the engine.
    pub fn build(self) -> Result<Engine> {
        let outcomes = match &self.outcomes {
            Some(path) => Some(Outcomes::open(path, self.outcome_options)?),
            None => None,
        };
        let set = self.load_set(None)?;
        Ok(Engine {
            current: ArcSwap::from_pointee(set),
            config: self,
            outcomes,
        })
    }

    /// The packs to load and the problems of folders on the pack path. A folder named with
    /// [`EngineBuilder::pack_dir`] that is missing or holds no pack fails here, in every
    /// mode: an [`Error::Io`] for a folder that cannot be read, an `io` [`PackError`] for
    /// one that holds no pack.
    fn sources(&self) -> Result<(Vec<PackSource>, Vec<PackError>)> {
        let mut sources = Vec::new();
        let mut errors = Vec::new();
        if self.builtin {
            sources.extend(crate::embedded::sources());
        }
        for PackDir {
            path: dir,
            explicit,
        } in &self.dirs
        {
            let packs = source::discover(dir);
            if packs.is_empty() {
                if *explicit {
                    return Err(explicit_dir_error(dir));
                }
                if !dir.exists() {
                    errors.push(source::io_error(
                        dir,
                        "no such folder".to_owned(),
                        "check the folders listed in FIXBOOK_PACK_PATH",
                    ));
                }
                // otherwise a folder on the pack path may hold nothing yet
            }
            for p in packs {
                if source::is_archive(&p) {
                    match crate::archive::load_source(&p, &self.trust) {
                        Ok(s) => sources.push(s),
                        // an archive named itself must load, like a named folder
                        Err(e) if *explicit && p == *dir => {
                            return Err(Error::Pack(vec![e.to_pack_error(&p)]))
                        }
                        Err(e) => errors.push(e.to_pack_error(&p)),
                    }
                    continue;
                }
                match PackSource::from_dir(&p) {
                    Ok(s) => sources.push(s),
                    Err(es) => errors.extend(es),
                }
            }
        }
        Ok((sources, errors))
    }

    fn load_set(&self, previous: Option<&PackSet>) -> Result<PackSet> {
        let (sources, mut read_errors) = self.sources()?;
        if let Some(prev) = previous {
            // a loaded pack whose folder is still there but has lost its pack.toml (inside a
            // folder of packs, or on the pack path) is an error too, not a removal
            for p in &prev.packs {
                let Origin::Dir(dir) = &p.origin else {
                    continue;
                };
                let path = dir.display().to_string();
                if dir.is_dir()
                    && !dir.join("pack.toml").is_file()
                    && !read_errors.iter().any(|e| e.path == path)
                {
                    read_errors.push(source::io_error(
                        dir,
                        format!(
                            "pack `{}` was loaded from here, but pack.toml is gone",
                            p.id
                        ),
                        "restore pack.toml, or remove the folder to drop the pack",
                    ));
                }
            }
        }
        if self.strict && !read_errors.is_empty() {
            return Err(Error::Pack(read_errors));
        }
        let mut set = PackSet::load(&sources, &self.load, self.strict)?;
        set.skipped.splice(0..0, read_errors);
        if let Some(prev) = previous {
            // a reload must not lose a pack that was loaded before
            let lost: Vec<&str> = prev
                .packs
                .iter()
                .filter(|p| !set.packs.iter().any(|n| n.id == p.id))
                .map(|p| p.id.as_str())
                .collect();
            if !lost.is_empty() && !set.skipped.is_empty() {
                let mut errors = set.skipped;
                errors.insert(
                    0,
                    PackError {
                        kind: crate::error::PackErrorKind::Io,
                        path: String::new(),
                        line: 0,
                        column: 0,
                        message: format!(
                            "reload would drop pack(s) {} because of errors; the loaded set is kept",
                            lost.join(", ")
                        ),
                        hint: "fix the errors below and reload again".into(),
                        entry: None,
                        source_line: None,
                        length: 0,
                    },
                );
                return Err(Error::Pack(errors));
            }
        }
        Ok(set)
    }
}

/// Why a folder named explicitly holds no pack: it cannot be read ([`Error::Io`], with the
/// operating system's error), is not a folder, or holds no `pack.toml` (an `io`
/// [`PackError`] naming it).
fn explicit_dir_error(dir: &Path) -> Error {
    let meta = match std::fs::metadata(dir) {
        Ok(m) => m,
        Err(source) => {
            return Error::Io {
                path: dir.to_owned(),
                source,
            }
        }
    };
    let (message, hint) = if !meta.is_dir() {
        (
            "not a folder: a pack is a folder holding pack.toml".to_owned(),
            "give the pack's folder, or a folder of packs",
        )
    } else {
        (
            format!(
                "no pack here: neither {} nor a sub-folder holding a pack.toml",
                dir.join("pack.toml").display()
            ),
            "if this is a pack, restore its pack.toml; otherwise give a pack folder or a folder \
             of packs",
        )
    };
    Error::Pack(vec![source::io_error(dir, message, hint)])
}

/// The folders of the user's pack path, from `FIXBOOK_PACK_PATH` and the data folder.
pub fn default_pack_path() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Some(p) = std::env::var_os("FIXBOOK_PACK_PATH") {
        out.extend(std::env::split_paths(&p).filter(|p| !p.as_os_str().is_empty()));
    }
    if let Some(d) = user_pack_dir() {
        if d.is_dir() {
            out.push(d);
        }
    }
    out
}

/// The user's pack folder, where `fixbook pack install` puts packs: `$XDG_DATA_HOME/fixbook/packs`,
/// else `~/.local/share/fixbook/packs` (whether it exists or not).
pub fn user_pack_dir() -> Option<PathBuf> {
    std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))
        .map(|d| d.join("fixbook/packs"))
}

/// A loaded pack, as listed by [`Engine::packs`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackInfo {
    /// Pack id.
    pub id: String,
    /// Human name.
    pub name: String,
    /// Semver version.
    pub version: String,
    /// Description.
    pub description: String,
    /// Where it came from.
    pub origin: Origin,
    /// Number of entries.
    pub entries: usize,
}

/// A line of a scanned chunk where signatures matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineHit {
    /// Index of the line in the chunk, 0-based.
    pub line: usize,
    /// Entries whose signatures matched, in signature order.
    pub entries: Vec<String>,
}

/// An entry as shown by [`Engine::entry`] (`fixbook show`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryInfo {
    /// `pack/entry`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    pub summary: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Keywords.
    pub keywords: Vec<String>,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Signatures: (id, pattern).
    pub signatures: Vec<SignatureInfo>,
    /// Causes: id, title, check source.
    pub causes: Vec<CauseInfo>,
    /// Facts the entry's checks may read, with their declarations.
    pub facts: Vec<FactDecl>,
    /// General remedy.
    pub remedy: Vec<String>,
    /// References.
    pub references: Vec<crate::pack::Reference>,
    /// Where to look.
    pub where_to_look: Vec<crate::pack::Place>,
    /// Lifecycle status.
    pub status: crate::pack::Status,
    /// File and line where it is written.
    pub location: crate::pack::Location,
}

/// A signature in [`EntryInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// Id.
    pub id: String,
    /// The pattern as written.
    pub pattern: String,
}

/// A cause in [`EntryInfo`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CauseInfo {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// The check's source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    /// Remedy steps.
    pub remedy: Vec<String>,
}

/// The troubleshooting engine: loaded packs, searched from any number of threads.
///
/// `Engine` is `Send + Sync`. [`Engine::reload`] swaps the whole pack set atomically: a
/// query in flight sees the old set or the new one, never a mix.
#[derive(Debug)]
pub struct Engine {
    current: ArcSwap<PackSet>,
    config: EngineBuilder,
    outcomes: Option<Outcomes>,
}

impl Engine {
    /// A builder, starting from the embedded packs.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The embedded packs only.
    pub fn embedded() -> Result<Engine> {
        EngineBuilder::default().build()
    }

    /// Exactly the given pack folders (no embedded packs).
    pub fn from_dirs<P: Into<PathBuf>>(dirs: impl IntoIterator<Item = P>) -> Result<Engine> {
        EngineBuilder::default()
            .builtin(false)
            .pack_dirs(dirs)
            .build()
    }

    /// Searches `text` with no facts: the best `limit` matches (0 means
    /// [`crate::DEFAULT_LIMIT`]).
    pub fn search(&self, text: &str, limit: usize) -> Diagnosis {
        let q = Query::new(text).limit(limit);
        // without caller facts a query cannot fail
        let d = diagnose::run_with(
            &self.current.load(),
            &q,
            &self.config.query,
            self.outcomes.as_ref(),
        )
        .unwrap_or_default();
        self.record_unmatched(&q, d)
    }

    /// Like [`Engine::search`], for text given as bytes (see [`Query::from_bytes`]).
    pub fn search_bytes(&self, text: &[u8], limit: usize) -> Diagnosis {
        // without caller facts a query cannot fail
        self.diagnose(&Query::from_bytes(text).limit(limit))
            .unwrap_or_default()
    }

    /// The id closest to `id` among the loaded entries, for "did you mean" (the one
    /// similarity rule every message of the engine uses).
    pub fn suggest_entry(&self, id: &str) -> Option<String> {
        let set = self.current.load();
        let ids: Vec<&str> = (0..set.entries.len())
            .map(|g| set.entry(g).id.as_str())
            .collect();
        crate::names::did_you_mean(id, ids).map(str::to_owned)
    }

    /// Diagnoses a query: matches, cause verdicts, questions. Fails only on facts of the
    /// wrong type, never because of the text.
    pub fn diagnose(&self, query: &Query) -> Result<Diagnosis> {
        let mut d = diagnose::run_with(
            &self.current.load(),
            query,
            &self.config.query,
            self.outcomes.as_ref(),
        )?;
        if !query.input_notes.is_empty() {
            d.notes.splice(0..0, query.input_notes.iter().cloned());
        }
        Ok(self.record_unmatched(query, d))
    }

    /// With an outcome store open, records the text of a diagnosis that matched nothing
    /// (a failure to record is a note on the answer, never a failed query).
    fn record_unmatched(&self, q: &Query, mut d: Diagnosis) -> Diagnosis {
        let Some(store) = &self.outcomes else {
            return d;
        };
        if !d.matches.is_empty() {
            return d;
        }
        let text = crate::matcher::normalize(&q.text, self.config.query.max_input_bytes).text;
        if let Err(e) = store.record_unmatched(&text) {
            d.notes.push(format!("not recorded as a content gap: {e}"));
        }
        d
    }

    /// The outcome store, when one is open ([`EngineBuilder::outcomes`]).
    pub fn outcome_store(&self) -> Option<&Outcomes> {
        self.outcomes.as_ref()
    }

    fn store(&self) -> Result<&Outcomes> {
        self.outcomes.as_ref().ok_or_else(|| {
            Error::Query(
                "no outcome store is open: build the engine with an outcome store (--outcomes DB)"
                    .into(),
            )
        })
    }

    /// Records whether an entry solved a problem; the row is committed when this returns.
    /// Returns the row's id. The entry must be loaded (an unknown id is a
    /// [`Error::Query`], naming the closest one).
    pub fn feedback(&self, feedback: &Feedback) -> Result<i64> {
        let store = self.store()?;
        let set = self.current.load();
        let Some(&g) = set.by_id.get(feedback.entry.as_str()) else {
            let hint = self
                .suggest_entry(&feedback.entry)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            return Err(Error::Query(format!(
                "no entry `{}` is loaded{hint}; feedback needs an entry id, `pack/entry`",
                feedback.entry
            )));
        };
        store.record_feedback(feedback, &set.pack_of(g).id)
    }

    /// The texts that matched nothing, grouped into templates, biggest first.
    pub fn gaps(&self, query: &GapsQuery) -> Result<Vec<Gap>> {
        self.store()?.gaps(query)
    }

    /// Scans many lines at once (a chunk of a log): for every line where a signature
    /// matches, its index in `chunk` and the entries whose signatures matched. Lines are
    /// normalised one by one, so this finds what [`Engine::search`] would find by signature.
    pub fn scan_chunk(&self, chunk: &str) -> Vec<LineHit> {
        let set = self.current.load();
        let text = crate::matcher::normalize_lines(chunk);
        let mut out: Vec<LineHit> = Vec::new();
        for (line, sig) in set.signatures.hit_lines(&text) {
            let (entry, _) = set.signature_owner[sig];
            let e = set.entry(entry);
            if e.status != crate::pack::Status::Approved {
                continue;
            }
            match out.last_mut() {
                Some(h) if h.line == line => {
                    if !h.entries.contains(&e.id) {
                        h.entries.push(e.id.clone());
                    }
                }
                _ => out.push(LineHit {
                    line,
                    entries: vec![e.id.clone()],
                }),
            }
        }
        out
    }

    /// Re-reads every pack and swaps the new set in. On failure the loaded set is kept and
    /// the errors are returned.
    pub fn reload(&self) -> Result<()> {
        let current = self.current.load_full();
        let set = self.config.load_set(Some(&current))?;
        self.current.store(Arc::new(set));
        Ok(())
    }

    /// The loaded pack set (for the crate's own tools, e.g. lint).
    pub(crate) fn set(&self) -> arc_swap::Guard<Arc<PackSet>> {
        self.current.load()
    }

    /// The loaded packs.
    pub fn packs(&self) -> Vec<PackInfo> {
        self.current
            .load()
            .packs
            .iter()
            .map(|p| PackInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                version: p.version.clone(),
                description: p.description.clone(),
                origin: p.origin.clone(),
                entries: p.entries.len(),
            })
            .collect()
    }

    /// Problems with packs that were skipped at load (lenient mode).
    pub fn skipped(&self) -> Vec<PackError> {
        self.current.load().skipped.clone()
    }

    /// Number of entries loaded.
    pub fn entry_count(&self) -> usize {
        self.current.load().entries.len()
    }

    /// Declaration of a fact, from the first loaded pack declaring it.
    pub fn fact(&self, name: &str) -> Option<FactDecl> {
        self.current
            .load()
            .packs
            .iter()
            .find_map(|p| p.facts.get(name).cloned())
    }

    /// An entry by id (`pack/entry`).
    pub fn entry(&self, id: &str) -> Option<EntryInfo> {
        let set = self.current.load();
        let &g = set.by_id.get(id)?;
        let e = set.entry(g);
        let pack = set.pack_of(g);
        let mut fact_names: Vec<&String> = Vec::new();
        for c in e.causes.iter().filter_map(|c| c.check.as_ref()) {
            fact_names.extend(c.may_read());
        }
        for s in &e.symptoms {
            fact_names.extend(s.check.may_read());
        }
        let mut facts: Vec<FactDecl> = Vec::new();
        for n in fact_names {
            if let Some(d) = pack.facts.get(n) {
                if !facts.iter().any(|f| &f.name == n) {
                    facts.push(d.clone());
                }
            }
        }
        Some(EntryInfo {
            id: e.id.clone(),
            title: e.title.clone(),
            summary: e.summary.clone(),
            tags: e.tags.clone(),
            keywords: e.keywords.clone(),
            aliases: e.aliases.clone(),
            signatures: e
                .signatures
                .iter()
                .map(|s| SignatureInfo {
                    id: s.id.clone(),
                    pattern: s.pattern.clone(),
                })
                .collect(),
            causes: e
                .causes
                .iter()
                .map(|c| CauseInfo {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    check: c.check.as_ref().map(|k| k.source().to_owned()),
                    remedy: c.remedy.clone(),
                })
                .collect(),
            facts,
            remedy: e.remedy.clone(),
            references: e.references.clone(),
            where_to_look: e.where_to_look.clone(),
            status: e.status,
            location: e.location.clone(),
        })
    }

    /// Every entry id, in load order.
    pub fn entry_ids(&self) -> Vec<String> {
        let set = self.current.load();
        (0..set.entries.len())
            .map(|g| set.entry(g).id.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_is_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<Engine>();
    }
}
