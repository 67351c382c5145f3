//! A pack set: the packs loaded together, with their signature set and text index.
//!
//! It is immutable once built; [`crate::Engine::reload`] builds a new one and swaps it in
//! whole, so a query sees one consistent set.

use std::collections::HashMap;
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
        for src in sources {
            match load_pack(src, opts) {
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
                            hint: "give the pack another id, or load only one copy (--no-builtin leaves out the embedded packs)".into(),
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
