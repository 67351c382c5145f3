//! The pack snapshot: a validated pack kept on disk, so the next start with the same pack
//! reads it back instead of parsing, validating and analysing its TOML again.
//!
//! Parsing the TOML, checking every regex and compiling every check are most of a start
//! (the text index is already cached, see `index::cache`). A pack that loaded is written, with
//! what the pack set found about it (which signatures are generic), to
//! `pack-<key>.snap` in the index cache folder. The key hashes everything the pack is built
//! from: its origin, every file's path and text, the script limits it was loaded with, the
//! engine's build id (a hash of its sources, set by `build.rs`) and the snapshot format; so a
//! changed pack, other limits or another build of the engine get another file, and a stale
//! snapshot is never read.
//!
//! A snapshot holds the pack's *checked* parts only: patterns as their expanded source,
//! literals and capture names; checks as their source and fact references. Compiled regexes
//! and Rhai syntax trees are not serialisable; both are compiled on first use, as a freshly
//! loaded pack's patterns already are.
//!
//! A snapshot is never trusted: its header holds the key it was written for and a checksum
//! of the rest; anything that does not check, or does not read back, is removed and the pack
//! is loaded from its files (and written again). Files are written under a temporary name and
//! renamed into place, so a reader sees a whole snapshot or none. At most [`KEEP`] are kept per
//! folder; the least recently used are removed.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{LoadOptions, Pack, PackSource};

/// Snapshots kept per cache folder.
pub const KEEP: usize = 32;

/// Bytes of snapshots kept per cache folder (the most recently used first; the newest is
/// always kept): a 50 000-entry pack's snapshot is about 60 MiB.
pub const KEEP_BYTES: u64 = 512 << 20;

/// The first bytes of a snapshot file; the digit is the format version.
const MAGIC: &[u8; 8] = b"FXBSNP01";
/// Magic, key (16 bytes) and checksum (8 bytes).
const HEADER_LEN: usize = 8 + 16 + 8;

/// A pack read back from a snapshot, with what was found about it when it was written.
#[derive(Debug)]
pub struct Snapshot {
    /// The pack.
    pub pack: Pack,
    /// For each of its signatures, in entry and signature order: whether it is generic.
    pub generic: Vec<bool>,
}

#[derive(Serialize)]
struct Written<'a> {
    pack: &'a Pack,
    generic: &'a [bool],
}

#[derive(Deserialize)]
struct Read {
    pack: Pack,
    generic: Vec<bool>,
}

/// The key of `source` loaded with `opts`: 128 bits.
pub fn key(source: &PackSource, opts: &LoadOptions) -> [u8; 16] {
    crate::digest::key128(|h| {
        MAGIC.hash(h);
        format!("{:?}|{:?}", opts.ceiling, opts.defaults).hash(h);
        source.origin.to_string().hash(h);
        source.files.len().hash(h);
        for f in &source.files {
            f.path.hash(h);
            f.rel.hash(h);
            f.text.hash(h);
        }
    })
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

/// A writer that hashes what goes through it as [`checksum`] does (the hasher reads a
/// stream: the same bytes in any pieces give the same sum), so a snapshot is written to its
/// file as it is encoded, never held whole in memory.
struct Summing<W> {
    inner: W,
    sum: std::collections::hash_map::DefaultHasher,
}

impl<W: Write> Write for Summing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.write(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn file_name(key: &[u8; 16]) -> String {
    format!("pack-{}.snap", crate::digest::hex(key))
}

/// Reads the snapshot of `key` from `dir`, if there is a whole one that checks. A damaged or
/// unreadable one is removed, so that it is written again.
pub fn read(dir: &Path, key: &[u8; 16]) -> Option<Snapshot> {
    let path = dir.join(file_name(key));
    let bytes = fs::read(&path).ok()?;
    match decode(&bytes, key) {
        Some(snapshot) => {
            // mark as recently used, for eviction
            let _ =
                fs::File::open(&path).and_then(|f| f.set_modified(std::time::SystemTime::now()));
            Some(snapshot)
        }
        None => {
            let _ = fs::remove_file(&path);
            None
        }
    }
}

/// The snapshot in `bytes`, if it was written for `key` and is whole.
fn decode(bytes: &[u8], key: &[u8; 16]) -> Option<Snapshot> {
    if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC || &bytes[8..24] != key {
        return None;
    }
    let sum = u64::from_le_bytes(bytes[24..32].try_into().ok()?);
    let payload = &bytes[HEADER_LEN..];
    if checksum(payload) != sum {
        return None;
    }
    let read: Read = rmp_serde::from_slice(payload).ok()?;
    let signatures: usize = read.pack.entries.iter().map(|e| e.signatures.len()).sum();
    (read.generic.len() == signatures).then_some(Snapshot {
        pack: read.pack,
        generic: read.generic,
    })
}

/// Writes the snapshot of `pack` for `key` to `file`: the header with the checksum left
/// blank, the payload (summed as it is written), then the checksum in its place.
fn encode_into(
    file: &mut fs::File,
    pack: &Pack,
    generic: &[bool],
    key: &[u8; 16],
) -> Result<(), String> {
    use std::io::{Seek, SeekFrom};
    let mut out = Summing {
        inner: std::io::BufWriter::new(&mut *file),
        sum: std::collections::hash_map::DefaultHasher::new(),
    };
    out.inner
        .write_all(MAGIC)
        .and_then(|()| out.inner.write_all(key))
        .and_then(|()| out.inner.write_all(&[0; 8]))
        .map_err(|e| e.to_string())?;
    // MessagePack with named fields: self-describing (the answer types skip empty fields, and
    // facts are untagged), about twice as fast to read as JSON
    rmp_serde::encode::write_named(&mut out, &Written { pack, generic })
        .map_err(|e| e.to_string())?;
    let sum = out.sum.finish();
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    file.seek(SeekFrom::Start(24))
        .and_then(|_| file.write_all(&sum.to_le_bytes()))
        .and_then(|()| file.sync_all())
        .map_err(|e| e.to_string())
}

/// Writes the snapshot of `pack` (loaded from the source of `key`) into `dir`. A failure
/// costs only the next start's time, so the caller may ignore it.
pub fn write(dir: &Path, key: &[u8; 16], pack: &Pack, generic: &[bool]) -> Result<(), String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!("pack snapshot in {}: {what}: {e}", dir.display())
    };
    fs::create_dir_all(dir).map_err(|e| fail("cannot create", &e))?;
    let name = file_name(key);
    let tmp = dir.join(format!(
        ".tmp-{name}-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let written = fs::File::create(&tmp)
        .map_err(|e| e.to_string())
        .and_then(|mut f| encode_into(&mut f, pack, generic, key))
        .and_then(|()| fs::rename(&tmp, dir.join(&name)).map_err(|e| e.to_string()));
    if let Err(e) = written {
        let _ = fs::remove_file(&tmp);
        return Err(fail("cannot write", &e));
    }
    evict(dir);
    Ok(())
}

/// Keeps the most recently used snapshots, at most [`KEEP`] of them and [`KEEP_BYTES`] in
/// all; removes the rest.
fn evict(dir: &Path) {
    let Ok(read) = fs::read_dir(dir) else {
        return;
    };
    let mut found: Vec<(std::time::SystemTime, u64, PathBuf)> = read
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("pack-") && name.ends_with(".snap")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((meta.modified().ok()?, meta.len(), e.path()))
        })
        .collect();
    found.sort_by_key(|(used, _, _)| std::cmp::Reverse(*used));
    let mut bytes = 0;
    for (i, (_, len, path)) in found.into_iter().enumerate() {
        bytes += len;
        if i > 0 && (i >= KEEP || bytes > KEEP_BYTES) {
            let _ = fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::PackSet;
    use crate::Engine;

    /// A fresh cache folder for one test.
    fn cache_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("fixbook-snapshot-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    fn snapshots(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.retain(|p| p.extension().is_some_and(|x| x == "snap"));
        found.sort();
        found
    }

    fn cached(dir: &Path) -> LoadOptions {
        LoadOptions {
            index_cache: Some(dir.to_path_buf()),
            ..LoadOptions::default()
        }
    }

    fn load(dir: &Path) -> PackSet {
        PackSet::load(&crate::embedded::sources(), &cached(dir), true)
            .expect("the shipped packs load")
    }

    /// Every dev query's whole answer, as JSON, from an engine on the shipped packs.
    fn answers(cache: Option<&Path>) -> Vec<String> {
        let engine = Engine::builder()
            .builtin(true)
            .index_cache(cache.map(Path::to_path_buf))
            .build()
            .expect("the shipped packs load");
        include_str!("../../../tests/data/dev-queries.jsonl")
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["q"].as_str().map(str::to_owned))
            .map(|q| serde_json::to_string(&engine.search(&q, 5)).unwrap_or_default())
            .collect()
    }

    #[test]
    fn a_second_start_reads_the_snapshots_and_answers_alike() {
        let dir = cache_dir("second");
        let first = load(&dir);
        assert_eq!(first.snapshots_read(), 0);
        assert_eq!(snapshots(&dir).len(), first.packs.len());
        let second = load(&dir);
        assert_eq!(second.snapshots_read(), second.packs.len());
        assert_eq!(second.generic, first.generic);
        // the whole answer to every dev query, checks and questions included
        let without = answers(None);
        assert_eq!(
            answers(Some(&dir)),
            without,
            "answers after the snapshots were written"
        );
        assert_eq!(
            answers(Some(&dir)),
            without,
            "answers read back from the snapshots"
        );
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_snapshot_is_never_trusted_and_is_written_again() {
        let dir = cache_dir("damaged");
        load(&dir);
        let files = snapshots(&dir);
        let original = fs::read(&files[0]).unwrap();
        let mut flipped = original.clone();
        let at = HEADER_LEN + (flipped.len() - HEADER_LEN) / 2;
        flipped[at] ^= 0x20;
        let mut other_key = original.clone();
        other_key[8] ^= 1;
        for damaged in [
            flipped,
            original[..original.len() / 2].to_vec(),
            b"FXBSNP01".to_vec(),
            other_key,
            Vec::new(),
        ] {
            fs::write(&files[0], &damaged).unwrap();
            let set = load(&dir);
            assert_eq!(set.snapshots_read(), set.packs.len() - 1);
            assert_eq!(
                fs::read(&files[0]).unwrap(),
                original,
                "written again whole"
            );
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn only_the_most_recently_used_snapshots_are_kept() {
        let dir = cache_dir("evict");
        fs::create_dir_all(&dir).unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for i in 0..KEEP + 5 {
            let path = dir.join(format!("pack-{i:032x}.snap"));
            fs::write(&path, b"FXBSNP01").unwrap();
            fs::File::options()
                .write(true)
                .open(&path)
                .and_then(|f| f.set_modified(old))
                .unwrap();
        }
        fs::write(dir.join("unrelated.txt"), b"kept").unwrap();
        load(&dir);
        let kept = snapshots(&dir);
        assert_eq!(kept.len(), KEEP);
        // the shipped packs' own snapshots, just written, are among them
        let set = load(&dir);
        assert_eq!(set.snapshots_read(), set.packs.len());
        assert!(dir.join("unrelated.txt").is_file());
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_changed_pack_or_other_limits_get_another_snapshot() {
        let sources = crate::embedded::sources();
        let opts = LoadOptions::default();
        let mut changed = sources[0].clone();
        changed.files[1].text.push_str("\n# reviewed\n");
        assert_ne!(key(&changed, &opts), key(&sources[0], &opts));
        let stricter = LoadOptions {
            defaults: crate::Limits {
                max_operations: opts.defaults.max_operations / 2,
                ..opts.defaults
            },
            ..LoadOptions::default()
        };
        assert_ne!(key(&sources[0], &stricter), key(&sources[0], &opts));
        assert_eq!(key(&sources[0], &opts), key(&sources[0].clone(), &opts));
        // a changed title is seen on the next start, not the snapshot's
        let dir = cache_dir("changed");
        let load_opts = cached(&dir);
        let first = PackSet::load(&sources, &load_opts, true).unwrap();
        let title = first.packs[0].entries[0].title.clone();
        let mut retitled = sources.clone();
        let file = retitled[0]
            .files
            .iter_mut()
            .find(|f| f.text.contains(&title))
            .unwrap();
        file.text = file.text.replacen(&title, "Retitled entry", 1);
        let second = PackSet::load(&retitled, &load_opts, true).unwrap();
        assert_eq!(second.snapshots_read(), sources.len() - 1);
        assert_eq!(second.packs[0].entries[0].title, "Retitled entry");
        let _ = fs::remove_dir_all(&dir);
    }
}
