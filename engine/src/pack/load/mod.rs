//! Loading and validating one pack: TOML → typed model → compiled [`Pack`].
//!
//! Validation runs to the end and returns every problem it found, each located in its file
//! (line and column) with a fix. Only structural TOML errors stop a file early (serde stops
//! at the first one); the other files of the pack are still checked.
//!
//! One file per job, in the order [`load_pack`] runs them: `toml_error` (serde's errors
//! located and worded), `manifest` (`pack.toml` and its limits), `facts` (declarations,
//! helpers, extractors), `entries`; under them `span` (every position conversion),
//! `names` (fact-name and date rules; ids are `crate::names`) and `compile` (checks, patterns and the one
//! undeclared-fact error).

mod compile;
mod domain;
mod entries;
mod facts;
mod manifest;
mod names;
mod span;
mod toml_error;

use super::raw::RawFile;
use super::{Pack, PackSource, SourceFile};
use crate::error::{PackError, PackErrorKind};
use crate::script::Limits;
use span::FileCtx;

/// Options for loading packs.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// The most a pack may raise its script limits to.
    pub ceiling: Limits,
    /// Limits for packs that set none.
    pub defaults: Limits,
    /// Folder where the pack set's text index is cached between starts, keyed by the packs'
    /// content; `None` builds it in RAM every time.
    pub index_cache: Option<std::path::PathBuf>,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            ceiling: Limits::default_ceiling(),
            defaults: Limits::default(),
            index_cache: None,
        }
    }
}

/// A parsed TOML file of the pack.
type Parsed<'a> = (FileCtx<'a>, RawFile);

/// The errors found so far, and the options loading runs with.
struct Loader<'a> {
    errors: Vec<PackError>,
    opts: &'a LoadOptions,
}

/// Packs whose files hold this many bytes or more are parsed and validated on several
/// threads, a file per thread at a time (below it, starting threads costs more than it
/// saves: a start of the shipped packs is a few milliseconds).
const PARALLEL_BYTES: usize = 256 << 10;

/// How many threads loading `src` may use.
fn threads_for(src: &PackSource) -> usize {
    let bytes: usize = src.files.iter().map(|f| f.text.len()).sum();
    if bytes >= PARALLEL_BYTES {
        usize::MAX
    } else {
        1
    }
}

/// Parses every TOML file (on up to `threads` threads); returns them, in file order, with
/// the helper scripts (`*.rhai`).
fn parse_files<'s>(
    loader: &mut Loader<'_>,
    src: &'s PackSource,
    threads: usize,
) -> (Vec<Parsed<'s>>, Vec<&'s SourceFile>) {
    let (scripts, tomls): (Vec<&SourceFile>, Vec<&SourceFile>) =
        src.files.iter().partition(|f| f.rel.ends_with(".rhai"));
    let done = crate::parallel::map_in_order(&tomls, threads, |f| {
        (FileCtx::new(f), toml::from_str::<RawFile>(&f.text))
    });
    let mut parsed = Vec::new();
    for (ctx, raw) in done {
        match raw {
            Ok(raw) => parsed.push((ctx, raw)),
            Err(e) => loader.errors.push(toml_error::toml_error(&ctx, &e)),
        }
    }
    (parsed, scripts)
}

/// The error for a pack without `pack.toml`.
fn no_manifest(src: &PackSource) -> PackError {
    PackError {
        kind: PackErrorKind::Io,
        path: src
            .files
            .first()
            .map_or_else(String::new, |f| f.path.clone()),
        line: 0,
        column: 0,
        message: "the pack has no pack.toml".into(),
        hint: "add pack.toml with format, id, name and version".into(),
        entry: None,
        source_line: None,
        length: 0,
    }
}

/// Loads and validates one pack. Returns every problem found when it cannot be loaded.
pub fn load_pack(src: &PackSource, opts: &LoadOptions) -> Result<Pack, Vec<PackError>> {
    load_pack_on(src, opts, threads_for(src))
}

/// [`load_pack`] on up to `threads` threads.
fn load_pack_on(
    src: &PackSource,
    opts: &LoadOptions,
    threads: usize,
) -> Result<Pack, Vec<PackError>> {
    let mut loader = Loader {
        errors: Vec::new(),
        opts,
    };
    let (mut parsed, scripts) = parse_files(&mut loader, src, threads);
    let raw_entries = entries::take_raw(&mut parsed);
    let Some(manifest_idx) = parsed.iter().position(|(c, _)| c.file.rel == "pack.toml") else {
        if loader.errors.is_empty() {
            loader.errors.push(no_manifest(src));
        }
        return Err(loader.errors);
    };
    let (mctx, manifest) = &parsed[manifest_idx];
    let pack_id = manifest::check(&mut loader, mctx, manifest);
    manifest::keys_elsewhere(&mut loader, &parsed);
    let mut se = manifest::script_engine(&loader, manifest);
    let declared = facts::declare(&mut loader, &parsed);
    facts::load_helpers(&mut loader, &mut se, &scripts, &declared.facts);
    let extractors = facts::load_extractors(&mut loader, &parsed, &declared.facts);
    let pack = entries::PackCx {
        se: &se,
        facts: &declared.facts,
        pack_id: &pack_id,
    };
    let entries = entries::load_all(&mut loader, &pack, &parsed, raw_entries, threads);
    let implications = domain::implications(&mut loader, &parsed, &declared.facts);
    let domain = domain::domain(&mut loader, mctx, manifest, &declared.facts);
    let synonyms = domain::synonyms(&mut loader, mctx, manifest);
    if !loader.errors.is_empty() {
        return Err(loader.errors);
    }
    let text = |s: &Option<toml::Spanned<String>>| s.as_ref().map(|s| s.get_ref().clone());
    Ok(Pack {
        id: pack_id,
        domain,
        synonyms,
        implications,
        name: text(&manifest.name).unwrap_or_default(),
        version: text(&manifest.version).unwrap_or_default(),
        description: text(&manifest.description).unwrap_or_default(),
        min_engine_version: text(&manifest.min_engine_version),
        origin: src.origin.clone(),
        manifest_path: mctx.file.path.clone(),
        facts: declared.facts,
        fact_locations: declared.locations,
        extractors,
        entries,
        scripts: se,
        extractor_literals: Default::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pack::{Origin, PackSource};

    /// `files` entry files of `per_file` entries each; `broken` puts a bad regex, an
    /// undeclared fact and an id used in an earlier file into some of them.
    fn big_pack(files: usize, per_file: usize, broken: bool) -> PackSource {
        let manifest = "format = 1\nid = \"big\"\nname = \"Big\"\nversion = \"1.0.0\"\n\n\
                        [facts.\"svc.restarted\"]\ntype = \"bool\"\nquestion = \"Restarted?\"\n";
        let mut texts = Vec::new();
        for f in 0..files {
            let mut t = String::new();
            for i in 0..per_file {
                let n = f * per_file + i;
                let id = if broken && f > 0 && i == 7 { 3 } else { n };
                let pattern = if broken && i == 11 {
                    "bad (regex"
                } else {
                    "Widget {n} failed"
                };
                let fact = if broken && i == 13 {
                    "svc.nope"
                } else {
                    "svc.restarted"
                };
                t.push_str(&format!(
                    "[[entries]]\nid = \"e{id:06}\"\ntitle = \"Widget {n} failed\"\n\
                     remedy = [\"Restart it.\"]\n\n  [[entries.signatures]]\n  id = \"msg\"\n\
                     \x20 pattern = '{}'\n\n  [[entries.causes]]\n  id = \"c\"\n\
                     \x20 title = \"Not restarted\"\n  check = '!fact(\"{fact}\")'\n\n",
                    pattern.replace("{n}", &n.to_string())
                ));
            }
            texts.push((format!("entries/f{f:02}.toml"), t));
        }
        let mut all: Vec<(&str, &str)> = vec![("pack.toml", manifest)];
        all.extend(texts.iter().map(|(r, t)| (r.as_str(), t.as_str())));
        PackSource::from_memory("big", Origin::Builtin, &all)
    }

    #[test]
    fn a_large_pack_loads_the_same_on_one_thread_and_on_many() {
        let opts = LoadOptions::default();
        let good = big_pack(6, 400, false);
        assert!(
            threads_for(&good) > 1,
            "the pack must be large enough to load in parallel"
        );
        let one = load_pack_on(&good, &opts, 1).unwrap();
        let many = load_pack_on(&good, &opts, 4).unwrap();
        let ids = |p: &Pack| p.entries.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&one), ids(&many));
        assert_eq!(one.entries.len(), 2400);

        let bad = big_pack(6, 400, true);
        let one = load_pack_on(&bad, &opts, 1).unwrap_err();
        let many = load_pack_on(&bad, &opts, 4).unwrap_err();
        assert_eq!(one, many, "the same errors in the same order");
        // a duplicate names the first place its id was used, in an earlier file
        let dup = one
            .iter()
            .find(|e| e.kind == PackErrorKind::DuplicateId)
            .unwrap();
        assert!(
            dup.message.contains("big/entries/f00.toml"),
            "{}",
            dup.message
        );
        // errors come file by file
        let files: Vec<&str> = one.iter().map(|e| e.path.as_str()).collect();
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(files, sorted);
        // one of each per file; the five later files reuse an id of the first
        let count = |kind| one.iter().filter(|e| e.kind == kind).count();
        assert_eq!(count(PackErrorKind::BadRegex), 6);
        assert_eq!(count(PackErrorKind::UndeclaredFact), 6);
        assert_eq!(count(PackErrorKind::DuplicateId), 5);
    }
}
