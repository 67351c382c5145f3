//! The index cache: a built index kept on disk, so the next start with the same packs opens
//! it instead of indexing again.
//!
//! Each cached index is a folder `index-<key>` holding the tantivy files and `analysis.bin`
//! (each term's impact list and background count, each entry's phrase trigrams: what the
//! ranking reads). The key hashes everything the
//! index is built from: the text of every entry field, the background corpus, the field list
//! and the engine's build id (a hash of its sources, set by `build.rs`), so a changed pack (or
//! another build of the engine) gets a new folder and a stale one is never opened. With pack
//! snapshots the key hashes the packs' snapshot keys instead, which fix the same things, so
//! a warm start finds its index without making the documents. Folders are written under a temporary name and renamed into
//! place, so a reader sees a whole index or none; anything unreadable is ignored and rebuilt.
//! At most [`KEEP`] folders are kept, the least recently used are removed.

use std::fs;
use std::hash::Hash;
use std::io::Write;
use std::path::Path;

use tantivy::directory::MmapDirectory;
use tantivy::{Directory, Index};

use super::analysis::{Analysis, TermMap, TermStats};
use super::{trigrams, IndexDoc, FIELDS};

/// Cached indexes kept per cache folder.
pub const KEEP: usize = 8;

const MAGIC: &[u8; 8] = b"FXBIDX03";
const ANALYSIS: &str = "analysis.bin";

/// The cache key of an index built from `docs` and `background`: 32 hex digits.
pub(super) fn key(docs: &[IndexDoc], background: &str) -> String {
    crate::digest::hex(&crate::digest::key128(|h| {
        // stored trigram hashes are only valid for the hasher that made them
        trigrams(&["a".into(), "b".into(), "c".into()]).hash(h);
        for (name, boost) in FIELDS {
            name.hash(h);
            boost.to_bits().hash(h);
        }
        background.hash(h);
        docs.len().hash(h);
        for d in docs {
            d.entry.hash(h);
            d.fields.hash(h);
        }
    }))
}

/// The cache key of the index of the packs whose snapshot keys are `packs` (see
/// `pack::snapshot::key`), with `entries` entries in all: 32 hex digits. A pack's key covers
/// its files and the engine's build, and so the documents made from it.
pub(super) fn key_of_packs(packs: &[[u8; 16]], entries: usize, background: &str) -> String {
    crate::digest::hex(&crate::digest::key128(|h| {
        "packs".hash(h);
        background.hash(h);
        entries.hash(h);
        packs.hash(h);
    }))
}

/// Opens the cached index for `key`, if there is a whole, readable one for `entries` entries.
pub(super) fn open(cache_dir: &Path, key: &str, entries: usize) -> Option<(Index, Analysis)> {
    let dir = cache_dir.join(format!("index-{key}"));
    let bytes = fs::read(dir.join(ANALYSIS)).ok()?;
    let opened = decode(&bytes)
        .filter(|a| a.entries == entries)
        .and_then(|a| Some((Index::open(MmapDirectory::open(&dir).ok()?).ok()?, a)));
    let Some((index, analysis)) = opened else {
        // damaged: remove it so that it is stored again
        let _ = fs::remove_dir_all(&dir);
        return None;
    };
    // mark as recently used, for eviction
    let _ = fs::File::open(dir.join(ANALYSIS))
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    Some((index, analysis))
}

/// An index written into a temporary folder of the cache, waiting for its analysis (see
/// [`Pending::finish`]). Dropped unfinished, the folder is removed.
pub(super) struct Pending {
    cache_dir: std::path::PathBuf,
    tmp: std::path::PathBuf,
    final_dir: std::path::PathBuf,
}

/// The message of a cache failure: the folder, what failed, why.
fn failure(cache_dir: &Path, what: &str, e: &dyn std::fmt::Display) -> String {
    format!("index cache {}: {what}: {e}", cache_dir.display())
}

/// Writes the index for `key` with `write` into a fresh temporary folder of `cache_dir`.
pub(super) fn write(
    cache_dir: &Path,
    key: &str,
    write: impl FnOnce(Box<dyn Directory>) -> Result<Index, String>,
) -> Result<Pending, String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| failure(cache_dir, what, e);
    fs::create_dir_all(cache_dir).map_err(|e| fail("cannot create", &e))?;
    let tmp = cache_dir.join(format!(
        ".tmp-index-{key}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let _ = fs::remove_dir_all(&tmp);
    fs::create_dir_all(&tmp).map_err(|e| fail("cannot create", &e))?;
    let pending = Pending {
        cache_dir: cache_dir.to_owned(),
        final_dir: cache_dir.join(format!("index-{key}")),
        tmp,
    };
    let dir = MmapDirectory::open(&pending.tmp).map_err(|e| fail("cannot open", &e))?;
    drop(write(Box::new(dir))?);
    Ok(pending)
}

impl Pending {
    /// Stores `analysis` beside the index, moves the folder into place (a reader sees a whole
    /// index or none) and returns the index opened from there.
    pub(super) fn finish(self, analysis: &Analysis) -> Result<Index, String> {
        let fail = |what: &str, e: &dyn std::fmt::Display| failure(&self.cache_dir, what, e);
        let mut f =
            fs::File::create(self.tmp.join(ANALYSIS)).map_err(|e| fail("cannot write", &e))?;
        f.write_all(&encode(analysis))
            .and_then(|()| f.sync_all())
            .map_err(|e| fail("cannot write", &e))?;
        match fs::rename(&self.tmp, &self.final_dir) {
            Ok(()) => {}
            // another process stored the same index first: use theirs
            Err(_) if self.final_dir.join(ANALYSIS).is_file() => {}
            Err(e) => return Err(fail("cannot move into place", &e)),
        }
        let dir = MmapDirectory::open(&self.final_dir).map_err(|e| fail("cannot open", &e))?;
        Index::open(dir).map_err(|e| fail("cannot open", &e))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        // gone when it was moved into place; removed when it was not
        let _ = fs::remove_dir_all(&self.tmp);
        evict(&self.cache_dir);
    }
}

/// Removes all but the [`KEEP`] most recently used cached indexes.
fn evict(cache_dir: &Path) {
    let Ok(read) = fs::read_dir(cache_dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, std::path::PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("index-"))
        .map(|e| {
            let used = fs::metadata(e.path().join(ANALYSIS))
                .and_then(|m| m.modified())
                .unwrap_or(std::time::UNIX_EPOCH);
            (used, e.path())
        })
        .collect();
    if found.len() <= KEEP {
        return;
    }
    found.sort();
    for (_, path) in &found[..found.len() - KEEP] {
        let _ = fs::remove_dir_all(path);
    }
}

/// `analysis.bin`: the magic; the terms in number order, each its text, background count
/// and impact list (entry, boost bits); the number of entries and background documents;
/// each entry's phrase trigrams. Little-endian `u32`s (`u64` trigrams).
fn encode(a: &Analysis) -> Vec<u8> {
    let mut terms: Vec<&str> = vec![""; a.stats.len()];
    for (t, &id) in &a.ids {
        terms[id as usize] = t;
    }
    let mut out = MAGIC.to_vec();
    let put32 = |out: &mut Vec<u8>, v: u32| out.extend_from_slice(&v.to_le_bytes());
    put32(&mut out, terms.len() as u32);
    for (t, stats) in terms.iter().zip(&a.stats) {
        put32(&mut out, t.len() as u32);
        out.extend_from_slice(t.as_bytes());
        put32(&mut out, stats.background);
        put32(&mut out, stats.postings.len() as u32);
        for &(entry, boost) in &stats.postings {
            put32(&mut out, entry);
            put32(&mut out, boost.to_bits());
        }
    }
    put32(&mut out, a.entries as u32);
    put32(&mut out, a.background_docs as u32);
    for grams in &a.entry_trigrams {
        put32(&mut out, grams.len() as u32);
        for g in grams.iter() {
            out.extend_from_slice(&g.to_le_bytes());
        }
    }
    out
}

struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }
    /// A count, refused when the rest of the data cannot hold that many items of `size` bytes.
    fn count(&mut self, size: usize) -> Option<usize> {
        let n = self.u32()? as usize;
        (n.checked_mul(size)? <= self.0.len()).then_some(n)
    }
}

fn decode(bytes: &[u8]) -> Option<Analysis> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let n_terms = r.count(12)?;
    let mut ids = TermMap::with_capacity_and_hasher(n_terms, Default::default());
    let mut stats = Vec::with_capacity(n_terms);
    for id in 0..n_terms as u32 {
        let len = r.count(1)?;
        let term = std::str::from_utf8(r.take(len)?).ok()?.to_owned();
        let background = r.u32()?;
        let k = r.count(8)?;
        let mut postings = Vec::with_capacity(k);
        for _ in 0..k {
            postings.push((r.u32()?, f32::from_bits(r.u32()?)));
        }
        // entry order, each entry once: what `TermStats::boost` searches
        if postings.windows(2).any(|w| w[0].0 >= w[1].0) || ids.insert(term, id).is_some() {
            return None;
        }
        stats.push(TermStats {
            postings,
            background,
        });
    }
    let entries = r.u32()? as usize;
    let background_docs = r.u32()? as usize;
    let in_range = |s: &TermStats| {
        s.postings
            .last()
            .is_none_or(|&(e, _)| (e as usize) < entries)
    };
    if !stats.iter().all(in_range) {
        return None;
    }
    let mut entry_trigrams = Vec::with_capacity(entries.min(r.0.len() / 4));
    for _ in 0..entries {
        let k = r.count(8)?;
        let grams: Box<[u64]> = (0..k).map(|_| r.u64()).collect::<Option<_>>()?;
        if grams.windows(2).any(|w| w[0] >= w[1]) {
            return None;
        }
        entry_trigrams.push(grams);
    }
    r.0.is_empty().then_some(Analysis {
        ids,
        stats,
        entries,
        background_docs,
        entry_trigrams,
    })
}

/// The default cache folder: `$FIXBOOK_CACHE_DIR`, else `$XDG_CACHE_HOME/fixbook`, else
/// `~/.cache/fixbook`; `None` when `FIXBOOK_CACHE_DIR` is set but empty (caching off) or no
/// home is known.
pub fn default_dir() -> Option<std::path::PathBuf> {
    if let Some(v) = std::env::var_os("FIXBOOK_CACHE_DIR") {
        return (!v.is_empty()).then(|| v.into());
    }
    if let Some(v) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(std::path::PathBuf::from(v).join("fixbook"));
    }
    std::env::var_os("HOME")
        .filter(|v| !v.is_empty())
        .map(|h| std::path::PathBuf::from(h).join(".cache").join("fixbook"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs() -> Vec<IndexDoc> {
        let mut d = IndexDoc {
            entry: 0,
            ..IndexDoc::default()
        };
        d.fields[0] = "Session token not found".into();
        d.fields[2] = "AWS Toolkit sign-in".into();
        let mut e = IndexDoc {
            entry: 1,
            ..IndexDoc::default()
        };
        e.fields[0] = "Printer jam".into();
        vec![d, e]
    }

    #[test]
    fn analysis_round_trips_and_garbage_is_refused() {
        let a = Analysis::of(&docs(), "the printer is out of paper\nreset your password");
        let bytes = encode(&a);
        assert_eq!(decode(&bytes), Some(a));
        for cut in [0, 8, 12, bytes.len() / 2, bytes.len() - 1] {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut huge = bytes.clone();
        huge[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&huge), None);
    }

    #[test]
    fn second_build_opens_the_cache_and_answers_alike() {
        let dir = std::env::temp_dir().join(format!("fixbook-cache-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let (first, how) = super::super::TextIndex::build_cached(&docs(), "", &dir).unwrap();
        assert_eq!(how, super::super::CacheUse::Stored);
        let (second, how) = super::super::TextIndex::build_cached(&docs(), "", &dir).unwrap();
        assert_eq!(how, super::super::CacheUse::Hit);
        let terms = first.terms("session token");
        assert_eq!(first.search(&terms, 2), second.search(&terms, 2));
        assert_eq!(second.search(&terms, 2)[0].entry, 0);
        // a changed entry is a new key; a damaged cache is rebuilt
        let mut changed = docs();
        changed[1].fields[0] = "Printer offline".into();
        let (_, how) = super::super::TextIndex::build_cached(&changed, "", &dir).unwrap();
        assert_eq!(how, super::super::CacheUse::Stored);
        let k = key(&docs(), "");
        fs::write(
            dir.join(format!("index-{k}")).join(ANALYSIS),
            b"FXBIDX01junk",
        )
        .unwrap();
        let (third, how) = super::super::TextIndex::build_cached(&docs(), "", &dir).unwrap();
        assert_ne!(how, super::super::CacheUse::Hit);
        assert_eq!(third.search(&terms, 1)[0].entry, 0);
        let _ = fs::remove_dir_all(&dir);
    }
}
