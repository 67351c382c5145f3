//! A pack set: the packs loaded together, with their signature set and text index.
//!
//! It is immutable once built; [`crate::Engine::reload`] builds a new one and swaps it in
//! whole, so a query sees one consistent set.

use std::collections::HashMap;
use std::sync::Arc;

use crate::context::DomainIndex;
use crate::error::{PackError, PackErrorKind};
use crate::index::rewrite::{parse_table, SynonymSource, Synonyms, TypoWord, SHORTHAND};
use crate::index::{IndexDoc, TextIndex};
use crate::matcher::SignatureSet;
use crate::pack::{load_pack, snapshot, Entry, LoadOptions, Pack, PackSource};

/// Ordinary helpdesk text unrelated to any pack, one document per line: it tells the ranking
/// which words are everyday words (see `TextIndex::idf`).
pub const BACKGROUND: &str = include_str!("../data/background.txt");

/// Loaded packs plus the structures that search them.
#[derive(Debug)]
pub struct PackSet {
    /// The packs, in load order.
    pub(crate) packs: Vec<Arc<Pack>>,
    /// Global entry index → (pack, entry in pack).
    pub(crate) entries: Vec<(usize, usize)>,
    /// Signature index in [`PackSet::signatures`] → (global entry, signature in entry).
    pub(crate) signature_owner: Vec<(usize, usize)>,
    /// All signatures, matched in one pass.
    pub(crate) signatures: SignatureSet,
    /// Full-text index of all entries.
    pub(crate) index: TextIndex,
    /// `pack/entry` → global entry index.
    pub(crate) by_id: HashMap<String, usize>,
    /// Problems with packs that were skipped (lenient mode).
    pub(crate) skipped: Vec<PackError>,
    /// The engine's shorthand and every loaded pack's synonyms.
    pub(crate) synonyms: Synonyms,
    /// Product and domain names, for domain context.
    pub(crate) domains: DomainIndex,
    /// The words of every signature's literal text, lower-cased (for reading typos and
    /// short forms inside error messages).
    pub(crate) literal_words: std::collections::HashSet<String>,
    /// The same words by first byte and length: the typo pass reads only the words that can
    /// be a few edits away.
    pub(crate) literal_words_by_head: std::collections::HashMap<(u8, usize), Vec<TypoWord>>,
    /// For each signature of [`PackSet::signatures`]: whether it is generic (see
    /// [`crate::context::is_generic`], found for all at once by
    /// [`crate::context::generic_signatures`]).
    pub(crate) generic: Vec<bool>,
    /// For each pack: whether it was read back from its snapshot (see
    /// [`crate::pack::snapshot`]) rather than loaded from its files.
    pub(crate) from_snapshot: Vec<bool>,
}

/// A pack as [`load_all`] found it: read back from its snapshot or loaded from its files.
struct Loaded {
    pack: Pack,
    known: Known,
}

/// What the loading of one pack found besides the pack.
struct Known {
    /// Its signatures' generic flags, from the snapshot; `None` when the pack was loaded from
    /// its files.
    generic: Option<Vec<bool>>,
    /// The snapshot key, when snapshots are kept (see [`LoadOptions::index_cache`]).
    key: Option<[u8; 16]>,
}

impl Known {
    /// The snapshot key of a pack loaded from its files, whose snapshot is to be written.
    fn snapshot_to_write(&self) -> Option<&[u8; 16]> {
        self.key.as_ref().filter(|_| self.generic.is_none())
    }
}

/// Loads every source, several at a time on their own threads (packs are independent:
/// parsing, validation and compiling are most of a start), results in the order of
/// `sources`. With a cache folder, a pack whose snapshot is there is read back from it.
fn load_all(sources: &[PackSource], opts: &LoadOptions) -> Vec<Result<Loaded, Vec<PackError>>> {
    let cache = opts.index_cache.as_deref();
    crate::parallel::map_in_order(sources, usize::MAX, |src| {
        let key = cache.map(|_| snapshot::key(src, opts));
        if let (Some(dir), Some(k)) = (cache, &key) {
            if let Some(found) = snapshot::read(dir, k) {
                return Ok(Loaded {
                    pack: found.pack,
                    known: Known {
                        generic: Some(found.generic),
                        key,
                    },
                });
            }
        }
        load_pack(src, opts).map(|pack| Loaded {
            pack,
            known: Known { generic: None, key },
        })
    })
}

impl PackSet {
    /// How many packs were read back from their snapshot instead of loaded from their files.
    pub fn snapshots_read(&self) -> usize {
        self.from_snapshot.iter().filter(|&&b| b).count()
    }

    /// The number of signatures matched in the one pass (all packs).
    pub fn signature_count(&self) -> usize {
        self.signatures.len()
    }

    /// The entry at a global index.
    pub fn entry(&self, global: usize) -> &Entry {
        let (p, e) = self.entries[global];
        &self.packs[p].entries[e]
    }

    /// The pack owning a global entry index.
    pub fn pack_of(&self, global: usize) -> &Pack {
        &self.packs[self.entries[global].0]
    }

    /// Loads `sources`. In strict mode any error fails the whole set; otherwise broken packs
    /// are skipped and reported in [`PackSet::skipped`].
    pub fn load(
        sources: &[PackSource],
        opts: &LoadOptions,
        strict: bool,
    ) -> Result<PackSet, crate::Error> {
        let mut packs: Vec<Arc<Pack>> = Vec::new();
        let mut known: Vec<Known> = Vec::new();
        let mut errors: Vec<PackError> = Vec::new();
        let mut skipped = Vec::new();
        for (src, loaded) in sources.iter().zip(load_all(sources, opts)) {
            match loaded {
                Ok(Loaded { pack: p, known: k }) => {
                    if let Some(prev) = packs.iter().find(|q| q.id == p.id) {
                        let e = PackError {
                            kind: PackErrorKind::DuplicateId,
                            path: src.files.first().map_or_else(String::new, |f| f.path.clone()),
                            line: 1,
                            column: 1,
                            message: format!(
                                "pack id `{}` is already loaded from {}",
                                p.id, prev.origin
                            ),
                            hint: "give the pack another id, or load only one copy of it (e.g. without the embedded packs)".into(),
                            entry: None,
                            source_line: None,
                            length: 0,
                        };
                        if strict {
                            errors.push(e);
                        } else {
                            skipped.push(e);
                        }
                        continue;
                    }
                    packs.push(Arc::new(p));
                    known.push(k);
                }
                Err(es) => {
                    if strict {
                        errors.extend(es);
                    } else {
                        skipped.extend(es);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(crate::Error::Pack(errors));
        }
        let cache = opts.index_cache.as_deref();
        let generic = known
            .iter()
            .map(|k| k.generic.as_deref())
            .collect::<Option<Vec<&[bool]>>>()
            .map(|flags| flags.concat());
        let keys = known
            .iter()
            .map(|k| k.key)
            .collect::<Option<Vec<[u8; 16]>>>();
        let snapshots = cache.map(|dir| (dir, known.as_slice()));
        let mut set =
            PackSet::build_with(packs, generic, keys.as_deref(), skipped, cache, snapshots)?;
        set.from_snapshot = known.iter().map(|k| k.generic.is_some()).collect();
        Ok(set)
    }

    /// Builds the search structures over loaded packs; with `index_cache`, the text index is
    /// opened from (or stored in) that folder. Fails with [`crate::Error::Index`] when the
    /// text index cannot be built.
    pub fn build(
        packs: Vec<Arc<Pack>>,
        skipped: Vec<PackError>,
        index_cache: Option<&std::path::Path>,
    ) -> Result<PackSet, crate::Error> {
        PackSet::build_with(packs, None, None, skipped, index_cache, None)
    }

    /// [`PackSet::build`], with the signatures' generic flags when they are known (from the
    /// packs' snapshots), in the set's signature order, and the packs' snapshot keys, which
    /// find the cached index without making its documents. With `snapshots`, the snapshot
    /// of each pack loaded from its files is written into that folder while the index is
    /// built (see [`write_snapshots`]).
    fn build_with(
        packs: Vec<Arc<Pack>>,
        generic: Option<Vec<bool>>,
        pack_keys: Option<&[[u8; 16]]>,
        skipped: Vec<PackError>,
        index_cache: Option<&std::path::Path>,
        snapshots: Option<(&std::path::Path, &[Known])>,
    ) -> Result<PackSet, crate::Error> {
        let mut entries = Vec::new();
        let mut by_id = HashMap::new();
        let mut signature_owner = Vec::new();
        let mut patterns = Vec::new();
        for (pi, pack) in packs.iter().enumerate() {
            for (ei, entry) in pack.entries.iter().enumerate() {
                let global = entries.len();
                entries.push((pi, ei));
                by_id.insert(entry.id.clone(), global);
                for (si, sig) in entry.signatures.iter().enumerate() {
                    signature_owner.push((global, si));
                    patterns.push(sig.regex.clone());
                }
            }
        }
        let signatures = SignatureSet::new(patterns);
        let generic = generic
            .filter(|g| g.len() == signatures.len())
            .unwrap_or_else(|| crate::context::generic_signatures(&signatures));
        // an index failure is the index's, not the signatures'
        let docs = || -> Vec<IndexDoc> {
            entries
                .iter()
                .enumerate()
                .map(|(global, &(p, e))| index_doc(global, &packs[p].entries[e]))
                .collect()
        };
        let build_index = || match (index_cache, pack_keys) {
            (Some(dir), Some(keys)) => {
                TextIndex::build_cached_for_packs(keys, entries.len(), docs, BACKGROUND, dir)
                    .map(|(index, _)| index)
            }
            (Some(dir), None) => {
                TextIndex::build_cached(&docs(), BACKGROUND, dir).map(|(index, _)| index)
            }
            (None, _) => TextIndex::build(&docs(), BACKGROUND),
        };
        let index = match snapshots {
            Some((dir, known)) if known.iter().any(|k| k.snapshot_to_write().is_some()) => {
                let snapshots = || write_snapshots(dir, &packs, &generic, known);
                crate::parallel::join(snapshots, build_index).1
            }
            _ => build_index(),
        }
        .map_err(crate::Error::Index)?;
        let mut pairs: Vec<(String, String, SynonymSource)> = Vec::new();
        // a pack's own words first: they know their domain's meaning of a short form
        for p in &packs {
            for (short, long) in &p.synonyms {
                pairs.push((
                    short.clone(),
                    long.clone(),
                    SynonymSource::Pack(p.id.clone()),
                ));
            }
        }
        for (short, long) in parse_table(SHORTHAND) {
            pairs.push((short, long, SynonymSource::Engine));
        }
        let synonyms = index.synonyms(&pairs);
        let domains = DomainIndex::new(&packs);
        let literal_words = packs
            .iter()
            .flat_map(|p| p.entries.iter())
            .flat_map(|e| e.signatures.iter())
            .flat_map(|s| {
                s.literals
                    .split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|w| w.len() >= 2)
                    .map(str::to_ascii_lowercase)
                    .collect::<Vec<_>>()
            })
            .collect();
        let literal_words_by_head = words_by_head(&literal_words);
        Ok(PackSet {
            from_snapshot: vec![false; packs.len()],
            literal_words,
            literal_words_by_head,
            synonyms,
            domains,
            generic,
            packs,
            entries,
            signature_owner,
            signatures,
            index,
            by_id,
            skipped,
        })
    }
}

/// Writes the snapshot of each pack loaded from its files (those with a key and no generic
/// flags in `known`), with its signatures' generic flags (`generic`, in the set's signature
/// order). A failed write costs only the next start's time.
fn write_snapshots(dir: &std::path::Path, packs: &[Arc<Pack>], generic: &[bool], known: &[Known]) {
    let mut first = 0;
    for (pack, k) in packs.iter().zip(known) {
        let count: usize = pack.entries.iter().map(|e| e.signatures.len()).sum();
        if let Some(key) = k.snapshot_to_write() {
            let _ = snapshot::write(dir, key, pack, &generic[first..first + count]);
        }
        first += count;
    }
}

fn index_doc(global: usize, e: &Entry) -> IndexDoc {
    let sigs: Vec<&str> = e.signatures.iter().map(|s| s.literals.as_str()).collect();
    let causes: Vec<String> = e
        .causes
        .iter()
        .map(|c| format!("{} {}", c.title, c.explanation))
        .collect();
    // identifiers people paste alone: event names, API actions, command lines, paths,
    // from where to look, references and the causes' remedies (their prose stays out: it
    // would dilute the entry's words)
    let remedy: Vec<String> = e.remedy.clone();
    let mut extra: Vec<String> = e.tags.clone();
    for p in &e.where_to_look {
        extra.extend(p.event.iter().cloned());
        extra.push(identifiers(&p.place));
        extra.extend(p.hint.iter().map(|h| identifiers(h)));
    }
    for r in e
        .references
        .iter()
        .chain(e.causes.iter().flat_map(|c| c.references.iter()))
    {
        extra.push(identifiers(&r.title));
        extra.extend(r.url.iter().map(|u| identifiers(u)));
    }
    for c in &e.causes {
        extra.extend(c.remedy.iter().map(|r| identifiers(r)));
    }
    extra.retain(|x| !x.trim().is_empty());
    IndexDoc {
        entry: global,
        fields: [
            e.title.clone(),
            sigs.join(" \n "),
            e.keywords.join(" \n "),
            e.aliases.join(" \n "),
            e.summary.clone(),
            causes.join(" \n "),
            remedy.join(" \n "),
            extra.join(" \n "),
        ],
    }
}

/// The identifiers of a text: spans in backticks (commands), and words that are CamelCase,
/// snake_case, `service:Action`, dotted or slashed paths (`~/.ssh/config`, `sso-admin`).
/// Addresses, host names and numbers are examples, not identifiers: they are left out.
pub fn identifiers(text: &str) -> String {
    let is_host = |w: &str| {
        w.contains('@')
            || w.contains("://")
            || w.chars().all(|c| c.is_ascii_digit() || c == '.')
            || (!w.starts_with(['~', '/', '.'])
                && w.rsplit_once('.').is_some_and(|(_, tld)| {
                    matches!(
                        tld,
                        "com" | "org" | "net" | "io" | "example" | "internal" | "local"
                    )
                }))
    };
    let mut out: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(a) = rest.find('`') {
        let Some(b) = rest[a + 1..].find('`') else {
            break;
        };
        out.extend(
            rest[a + 1..a + 1 + b]
                .split_whitespace()
                .filter(|w| !is_host(w)),
        );
        rest = &rest[a + 2 + b..];
    }
    let separators =
        |c: char| c.is_whitespace() || matches!(c, '`' | '"' | '\'' | '(' | ')' | ',' | ';');
    for w in text.split(separators) {
        let w = w.trim_matches(|c: char| !c.is_alphanumeric() && c != '~' && c != '/');
        let chars: Vec<char> = w.chars().collect();
        let camel = chars
            .windows(2)
            .any(|p| p[0].is_ascii_lowercase() && p[1].is_ascii_uppercase());
        let joined = chars.windows(3).any(|p| {
            p[0].is_alphanumeric()
                && matches!(p[1], '_' | ':' | '/' | '.' | '-')
                && p[2].is_alphanumeric()
        });
        if (camel || joined) && chars.len() >= 4 && !is_host(w) {
            out.push(w);
        }
    }
    out.join(" ")
}

/// `words` grouped by first byte and length (in bytes), each with its letter counts.
fn words_by_head(
    words: &std::collections::HashSet<String>,
) -> std::collections::HashMap<(u8, usize), Vec<TypoWord>> {
    let mut by_head: std::collections::HashMap<(u8, usize), Vec<TypoWord>> =
        std::collections::HashMap::new();
    for w in words {
        if let Some(&first) = w.as_bytes().first() {
            by_head
                .entry((first, w.len()))
                .or_default()
                .push(TypoWord::new(w.clone()));
        }
    }
    by_head
}

#[cfg(test)]
impl PackSet {
    /// The embedded (shipped) packs, loaded strictly: the set most unit tests read.
    pub(crate) fn embedded_for_tests() -> PackSet {
        PackSet::load(&crate::embedded::sources(), &LoadOptions::default(), true)
            .expect("the shipped packs load")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_picked_from_prose() {
        let got = identifiers(
            "Run `aws identitystore list-users` and look for ExternalIdPDirectoryLogin in ~/.ssh/config, or sso:ListApplicationProviders; the user name is plain.",
        );
        for want in [
            "aws identitystore list-users",
            "ExternalIdPDirectoryLogin",
            "~/.ssh/config",
            "sso:ListApplicationProviders",
        ] {
            assert!(got.contains(want), "{got}");
        }
        assert!(!got.contains("plain"), "{got}");
    }

    /// Loading on several threads gives what loading one by one gives, in source order.
    #[test]
    fn packs_load_in_parallel_as_one_by_one() {
        let mut sources = crate::embedded::sources();
        let mut broken = sources[0].clone();
        broken.files[0].text = "format = 1\nid = \"broken\"\nname = [\n".into();
        sources.insert(1, broken);
        sources.extend(crate::embedded::sources().into_iter().rev());
        let opts = LoadOptions::default();
        let summary = |r: &Result<Pack, Vec<PackError>>| match r {
            Ok(p) => format!("ok {} {}", p.id, p.entries.len()),
            Err(es) => format!("err {}:{}:{}", es[0].path, es[0].line, es[0].column),
        };
        let parallel: Vec<String> = load_all(&sources, &opts)
            .into_iter()
            .map(|r| summary(&r.map(|loaded| loaded.pack)))
            .collect();
        let one_by_one: Vec<String> = sources
            .iter()
            .map(|s| summary(&load_pack(s, &opts)))
            .collect();
        assert_eq!(parallel, one_by_one);
        assert!(parallel[1].starts_with("err "), "{parallel:?}");
        assert_eq!(parallel.len(), 7);
    }
}
