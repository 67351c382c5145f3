//! A pack set: the packs loaded together, with their signature set and text index.
//!
//! It is immutable once built; [`crate::Engine::reload`] builds a new one and swaps it in
//! whole, so a query sees one consistent set.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::error::{PackError, PackErrorKind};
use crate::index::{CacheUse, IndexDoc, TextIndex};
use crate::matcher::SignatureSet;
use crate::pack::{load_pack, Entry, LoadOptions, Pack, PackSource};

/// Ordinary helpdesk text unrelated to any pack, one document per line: it tells the ranking
/// which words are everyday words (see [`TextIndex::idf`]).
pub const BACKGROUND: &str = include_str!("../data/background.txt");

/// Loaded packs plus the structures that search them.
#[derive(Debug)]
pub struct PackSet {
    /// The packs, in load order.
    pub packs: Vec<Arc<Pack>>,
    /// Global entry index → (pack, entry in pack).
    pub entries: Vec<(usize, usize)>,
    /// Signature index in [`PackSet::signatures`] → (global entry, signature in entry).
    pub signature_owner: Vec<(usize, usize)>,
    /// All signatures, matched in one pass.
    pub signatures: SignatureSet,
    /// Full-text index of all entries.
    pub index: TextIndex,
    /// `pack/entry` → global entry index.
    pub by_id: HashMap<String, usize>,
    /// Problems with packs that were skipped (lenient mode).
    pub skipped: Vec<PackError>,
    /// How the index cache was used, when one was configured.
    pub cache_use: Option<CacheUse>,
}

/// Loads every source, several at a time on their own threads (packs are independent:
/// parsing, validation and compiling are most of a start), results in the order of
/// `sources`.
fn load_all(sources: &[PackSource], opts: &LoadOptions) -> Vec<Result<Pack, Vec<PackError>>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(sources.len());
    if workers <= 1 {
        return sources.iter().map(|s| load_pack(s, opts)).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(src) = sources.get(i) else {
                return done;
            };
            done.push((i, load_pack(src, opts)));
        }
    };
    let mut results: Vec<Option<Result<Pack, Vec<PackError>>>> =
        sources.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        // the main thread's stack size: parsing is depth-limited, but not by much
        let helpers: Vec<_> = (1..workers)
            .filter_map(|_| {
                std::thread::Builder::new()
                    .name("fixbook-load".into())
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, work)
                    .ok()
            })
            .collect();
        let mut all = work();
        for h in helpers {
            match h.join() {
                Ok(done) => all.extend(done),
                // as if it had happened on this thread
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        for (i, r) in all {
            results[i] = Some(r);
        }
    });
    // every index was taken by exactly one worker; a source no worker reached (a thread
    // that could not be spawned leaves its share to the others) cannot remain
    sources
        .iter()
        .zip(results)
        .map(|(src, r)| r.unwrap_or_else(|| load_pack(src, opts)))
        .collect()
}

impl PackSet {
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
    ) -> Result<PackSet, Vec<PackError>> {
        let mut packs: Vec<Arc<Pack>> = Vec::new();
        let mut errors: Vec<PackError> = Vec::new();
        let mut skipped = Vec::new();
        for (src, loaded) in sources.iter().zip(load_all(sources, opts)) {
            match loaded {
                Ok(p) => {
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
            return Err(errors);
        }
        PackSet::build(packs, skipped, opts.index_cache.as_deref()).map_err(|e| vec![e])
    }

    /// Builds the search structures over loaded packs; with `index_cache`, the text index is
    /// opened from (or stored in) that folder.
    pub fn build(
        packs: Vec<Arc<Pack>>,
        skipped: Vec<PackError>,
        index_cache: Option<&std::path::Path>,
    ) -> Result<PackSet, PackError> {
        let mut entries = Vec::new();
        let mut by_id = HashMap::new();
        let mut signature_owner = Vec::new();
        let mut patterns = Vec::new();
        let mut docs = Vec::new();
        for (pi, pack) in packs.iter().enumerate() {
            for (ei, entry) in pack.entries.iter().enumerate() {
                let global = entries.len();
                entries.push((pi, ei));
                by_id.insert(entry.id.clone(), global);
                for (si, sig) in entry.signatures.iter().enumerate() {
                    signature_owner.push((global, si));
                    patterns.push(sig.regex.clone());
                }
                docs.push(index_doc(global, entry));
            }
        }
        let fail = |message: String| PackError {
            kind: PackErrorKind::BadRegex,
            path: String::new(),
            line: 0,
            column: 0,
            message,
            hint: "reduce the number or size of signatures".into(),
            entry: None,
            source_line: None,
            length: 0,
        };
        let signatures = SignatureSet::new(patterns).map_err(fail)?;
        let (index, cache_use) = match index_cache {
            Some(dir) => {
                let (index, used) = TextIndex::build_cached(&docs, BACKGROUND, dir)
                    .map_err(|e| fail(format!("full-text index: {e}")))?;
                (index, Some(used))
            }
            None => (
                TextIndex::build(&docs, BACKGROUND)
                    .map_err(|e| fail(format!("full-text index: {e}")))?,
                None,
            ),
        };
        Ok(PackSet {
            packs,
            entries,
            signature_owner,
            signatures,
            index,
            by_id,
            skipped,
            cache_use,
        })
    }
}

fn index_doc(global: usize, e: &Entry) -> IndexDoc {
    let sigs: Vec<&str> = e.signatures.iter().map(|s| s.literals.as_str()).collect();
    let causes: Vec<String> = e
        .causes
        .iter()
        .map(|c| format!("{} {}", c.title, c.explanation))
        .collect();
    let mut extra: Vec<String> = e.tags.clone();
    for p in &e.where_to_look {
        if let Some(ev) = &p.event {
            extra.push(ev.clone());
        }
    }
    IndexDoc {
        entry: global,
        fields: [
            e.title.clone(),
            sigs.join(" \n "),
            e.keywords.join(" \n "),
            e.aliases.join(" \n "),
            e.summary.clone(),
            causes.join(" \n "),
            e.remedy.join(" \n "),
            extra.join(" \n "),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let parallel: Vec<String> = load_all(&sources, &opts).iter().map(summary).collect();
        let one_by_one: Vec<String> = sources
            .iter()
            .map(|s| summary(&load_pack(s, &opts)))
            .collect();
        assert_eq!(parallel, one_by_one);
        assert!(parallel[1].starts_with("err "), "{parallel:?}");
        assert_eq!(parallel.len(), 7);
    }
}
