//! Pack archives: one `.fixbook` file that carries a pack from one machine to another.
//!
//! # Format
//!
//! A `.fixbook` file is two gzip members one after the other (so `tar -xzf` reads it):
//!
//! 1. **the payload**: a tar of `fixbook-manifest.json` (first), then the pack's files in
//!    path order (`pack.toml`, `entries/*.toml`, `scripts/*.rhai`, `tests/*.toml`), every
//!    header normalised (mtime 0, uid/gid 0, mode 0644), so the same pack gives the same
//!    bytes. The manifest holds the pack's id, version, `min_engine_version`, the test
//!    summary of the build and each file's size and SHA-256.
//! 2. **the seal**: one stored (uncompressed) deflate block holding a JSON object with the
//!    payload's size and SHA-256 and the payload's minisign signatures (ed25519, prehashed;
//!    the same signatures the `minisign` tool makes and checks).
//!
//! The seal is written byte for byte by this module and read back only if it re-encodes to
//! exactly the same bytes, so a change of any byte of the file is refused: in the payload
//! the hash no longer matches; in the seal the re-encoding differs or the signature fails.
//!
//! Reading checks, in order and before anything is decompressed: the file's size, the seal,
//! the payload's hash (and, by [`Archive::check_trust`], its signatures); then, while
//! decompressing with bounds on every file, the total and the number of files: only regular
//! files at the paths a pack may hold (no `..`, absolute paths, links or devices), each
//! listed in the manifest with its hash. Nothing in a pack runs when it is read or installed.

mod install;
mod write;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::pack::{Origin, PackSource, SourceFile};

pub use install::Staged;
pub use install::{InstallOptions, InstallOutcome, Installed, PackFolder};
pub use write::{
    assemble, build, generate_key, seal, sign, write_file, BuildError, Built, KeyPair,
};

/// The file name extension of pack archives (`ID-VERSION.fixbook`).
pub const EXTENSION: &str = "fixbook";
/// The name of the manifest, the payload's first file.
pub const MANIFEST_NAME: &str = "fixbook-manifest.json";
/// The archive format version this engine writes and reads.
pub const ARCHIVE_FORMAT: u32 = 1;
/// Largest archive file read, in bytes.
pub const MAX_ARCHIVE_BYTES: u64 = 64 << 20;
/// Largest total of the files an archive unpacks to, in bytes.
pub const MAX_UNPACKED_BYTES: u64 = 128 << 20;
/// Most files an archive may hold (the manifest included).
pub const MAX_FILES: usize = 2_000;
/// Largest file in an archive, in bytes (the limit of pack files read from folders).
pub const MAX_FILE_BYTES: u64 = crate::pack::source::MAX_FILE_SIZE;
/// Largest seal, in bytes (it holds a hash and a few signatures).
const MAX_SEAL_BYTES: usize = 64 << 10;
/// The untrusted comment line of every signature in a seal. Fixed, so that it cannot be
/// changed without the change being seen.
pub(crate) const SIGNATURE_COMMENT: &str = "fixbook pack signature";

/// What is wrong with an archive, a key or an install.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// The file is not a pack archive, or is damaged or changed (any byte).
    #[error("{label}: {message} (fix: {hint})")]
    Corrupt {
        /// The archive, as named by the caller.
        label: String,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The archive holds something a pack archive may not: a path outside the pack, a link,
    /// a device, too many files, or more bytes than the limits.
    #[error("{label}: refused: {message} (fix: {hint})")]
    Unsafe {
        /// The archive.
        label: String,
        /// What it holds.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The archive is not signed by a trusted key, and unsigned packs are not allowed.
    #[error("{label}: {message} (fix: {hint})")]
    Untrusted {
        /// The archive.
        label: String,
        /// Which signatures it has.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The pack needs a newer engine.
    #[error("{label}: pack `{id}` {version} needs fixbook {needs} or later; this is fixbook {engine} (fix: upgrade fixbook, or install a version of the pack made for this one)")]
    EngineTooOld {
        /// The archive.
        label: String,
        /// Pack id.
        id: String,
        /// Pack version.
        version: String,
        /// Its `min_engine_version`.
        needs: String,
        /// This engine's version.
        engine: String,
    },
    /// An install that would replace a newer or equal version, or an upgrade of a pack that
    /// is not installed or to a version that is not newer.
    #[error("{message} (fix: {hint})")]
    Version {
        /// What was refused.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A key that cannot be read or used.
    #[error("{path}: {message} (fix: {hint})")]
    Key {
        /// The key file.
        path: String,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// The pack inside does not load.
    #[error("{}", crate::error::Error::Pack(.0.clone()))]
    Pack(Vec<crate::PackError>),
    /// No installed pack has this id.
    #[error("no installed pack `{id}` in {dir} (fix: see `fixbook pack list`)")]
    NotInstalled {
        /// The id asked for.
        id: String,
        /// The pack folder.
        dir: PathBuf,
    },
}

impl ArchiveError {
    fn corrupt(label: &str, message: impl Into<String>) -> ArchiveError {
        ArchiveError::Corrupt {
            label: label.to_owned(),
            message: message.into(),
            hint: "the file is damaged or was changed after it was built: get it again from its \
                   source, or rebuild it with `fixbook pack build`"
                .into(),
        }
    }

    fn unsafe_(label: &str, message: impl Into<String>, hint: &str) -> ArchiveError {
        ArchiveError::Unsafe {
            label: label.to_owned(),
            message: message.into(),
            hint: hint.to_owned(),
        }
    }

    pub(crate) fn io(path: &Path, e: impl std::fmt::Display) -> ArchiveError {
        ArchiveError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        }
    }

    /// This error as a pack error about `path` (for archives found while loading packs).
    pub fn to_pack_error(&self, path: &Path) -> crate::PackError {
        let (message, hint) = match self {
            ArchiveError::Corrupt { message, hint, .. }
            | ArchiveError::Untrusted { message, hint, .. } => (message.clone(), hint.clone()),
            ArchiveError::Unsafe { message, hint, .. } => {
                (format!("refused: {message}"), hint.clone())
            }
            ArchiveError::Pack(errors) => {
                return errors
                    .first()
                    .cloned()
                    .unwrap_or_else(|| crate::pack::source::io_error(path, self.to_string(), ""))
            }
            other => (other.to_string(), String::new()),
        };
        let mut e = crate::pack::source::io_error(path, message, &hint);
        e.kind = crate::PackErrorKind::Archive;
        e
    }
}

/// The test summary a build records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestSummary {
    /// Examples that held.
    pub passed: usize,
    /// Examples that did not hold (a build refuses any).
    pub failed: usize,
    /// Known gaps.
    pub todo: usize,
}

/// One file of an archive, as listed in its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    /// Path inside the pack (`entries/sso.toml`).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
}

/// The manifest of an archive (`fixbook-manifest.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Archive format version ([`ARCHIVE_FORMAT`]).
    pub format: u32,
    /// Pack id.
    pub id: String,
    /// Pack version (semver).
    pub version: String,
    /// The oldest engine that loads the pack.
    pub min_engine_version: Option<String>,
    /// The engine version that built the archive.
    pub built_with: String,
    /// The pack's own tests, run by the build.
    pub tests: TestSummary,
    /// Every file, in archive order.
    pub files: Vec<FileRecord>,
}

impl Manifest {
    /// The archive's conventional file name, `ID-VERSION.fixbook`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.{EXTENSION}", self.id, self.version)
    }
}

/// The seal: the payload's size, hash and signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Seal {
    format: u32,
    payload_size: u64,
    payload_sha256: String,
    /// minisign signature files (`untrusted comment: …` and three more lines) of the payload.
    signatures: Vec<String>,
}

/// A signature found in an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureInfo {
    /// The signing key's id, as minisign shows it (16 hex digits).
    pub key_id: String,
    /// The signature's trusted comment (signed with it).
    pub trusted_comment: String,
}

/// A read, checked archive: its manifest and files, hashes verified, paths and sizes safe.
/// Whether its signatures are trusted is [`Archive::check_trust`]'s question.
#[derive(Debug, Clone)]
pub struct Archive {
    /// How the archive was named (its path), for messages.
    pub label: String,
    /// The manifest.
    pub manifest: Manifest,
    /// The pack's files (manifest excluded), in archive order: (path inside the pack, bytes).
    pub files: Vec<(String, Vec<u8>)>,
    /// Signatures in the seal.
    pub signatures: Vec<SignatureInfo>,
    /// SHA-256 of the whole archive file, lowercase hex.
    pub sha256: String,
    payload: Vec<u8>,
    seal_signatures: Vec<String>,
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Whether `rel` is a path a pack archive may hold: `pack.toml`, `entries/NAME.toml`,
/// `scripts/NAME.rhai` or `tests/NAME.toml`, NAME of letters, digits, `.`, `_` and `-`,
/// not starting with `.`.
pub fn allowed_path(rel: &str) -> bool {
    if rel == "pack.toml" {
        return true;
    }
    let Some((dir, name)) = rel.split_once('/') else {
        return false;
    };
    let ext = match dir {
        "entries" | "tests" => ".toml",
        "scripts" => ".rhai",
        _ => return false,
    };
    name.len() > ext.len()
        && name.len() <= 200
        && name.ends_with(ext)
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-')
}

/// The gzip header this module writes: no name, mtime 0, no extra flags, OS unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

/// The seal as a gzip member: one stored deflate block, written byte for byte.
fn encode_seal(seal: &Seal) -> Vec<u8> {
    let json = serde_json::to_vec(seal).unwrap_or_default();
    let mut crc = flate2::Crc::new();
    crc.update(&json);
    let len = json.len() as u16;
    let mut out = Vec::with_capacity(json.len() + 23);
    out.extend_from_slice(&GZIP_HEADER);
    out.push(1); // BFINAL = 1, BTYPE = 00 (stored)
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&(!len).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out
}

/// Splits a file into payload and seal, checking the seal byte for byte.
fn split_seal<'a>(label: &str, bytes: &'a [u8]) -> Result<(&'a [u8], Seal), ArchiveError> {
    if bytes.len() < 2 || bytes[..2] != GZIP_HEADER[..2] {
        return Err(ArchiveError::Corrupt {
            label: label.to_owned(),
            message: "not a pack archive (not gzip data)".into(),
            hint: "give a .fixbook file made by `fixbook pack build`".into(),
        });
    }
    let n = bytes.len();
    if n < 23 + 10 {
        return Err(ArchiveError::corrupt(
            label,
            format!("truncated: {n} bytes is too short for a pack archive"),
        ));
    }
    let isize = u32::from_le_bytes([bytes[n - 4], bytes[n - 3], bytes[n - 2], bytes[n - 1]]);
    let json_len = isize as usize;
    if json_len > MAX_SEAL_BYTES || json_len + 23 > n {
        return Err(ArchiveError::corrupt(
            label,
            "truncated or damaged: the seal at the end of the file is missing",
        ));
    }
    let start = n - 23 - json_len;
    let json = &bytes[start + 15..n - 8];
    let seal: Seal = serde_json::from_slice(json).map_err(|_| {
        ArchiveError::corrupt(
            label,
            "truncated or damaged: the seal at the end of the file does not read",
        )
    })?;
    if encode_seal(&seal) != bytes[start..] {
        return Err(ArchiveError::corrupt(
            label,
            "damaged: the seal at the end of the file was changed",
        ));
    }
    if seal.format != ARCHIVE_FORMAT {
        return Err(ArchiveError::Corrupt {
            label: label.to_owned(),
            message: format!(
                "archive format {} is not one this engine reads (it reads {ARCHIVE_FORMAT})",
                seal.format
            ),
            hint: "upgrade fixbook, or rebuild the archive with this one".into(),
        });
    }
    let payload = &bytes[..start];
    if seal.payload_size != payload.len() as u64 {
        return Err(ArchiveError::corrupt(
            label,
            format!(
                "truncated or damaged: the seal says the pack data is {} bytes, the file holds {}",
                seal.payload_size,
                payload.len()
            ),
        ));
    }
    if sha256_hex(payload) != seal.payload_sha256 {
        return Err(ArchiveError::corrupt(
            label,
            "damaged or changed: the pack data does not match the SHA-256 in its seal",
        ));
    }
    Ok((payload, seal))
}

/// A reader that fails once more than `limit` bytes came through.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other("unpacked size limit"));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// A pack's files: (path inside the pack, bytes).
type Files = Vec<(String, Vec<u8>)>;

fn unpack(label: &str, payload: &[u8]) -> Result<(Manifest, Files), ArchiveError> {
    if payload.len() < 10 || payload[..10] != GZIP_HEADER {
        return Err(ArchiveError::corrupt(
            label,
            "the pack data is not gzip data as written by fixbook",
        ));
    }
    let mut rest: &[u8] = payload;
    let decoder = flate2::bufread::GzDecoder::new(&mut rest);
    let bounded = Bounded {
        inner: decoder,
        left: MAX_UNPACKED_BYTES + (MAX_FILES as u64 + 2) * 1024,
    };
    let mut tar = tar::Archive::new(bounded);
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut manifest: Option<Manifest> = None;
    let mut total: u64 = 0;
    let too_big = |what: String| {
        ArchiveError::unsafe_(
            label,
            what,
            "a pack archive unpacks to at most 128 MiB in at most 2000 files of at most 16 MiB; \
             do not install this file",
        )
    };
    let read_err = |e: std::io::Error| {
        if e.to_string().contains("unpacked size limit") {
            too_big(format!(
                "it unpacks to more than {MAX_UNPACKED_BYTES} bytes (a decompression bomb?)"
            ))
        } else {
            ArchiveError::corrupt(label, format!("damaged pack data: {e}"))
        }
    };
    {
        let entries = tar.entries().map_err(read_err)?;
        for (i, entry) in entries.enumerate() {
            let mut entry = entry.map_err(read_err)?;
            if i >= MAX_FILES {
                return Err(too_big(format!("it holds more than {MAX_FILES} files")));
            }
            let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let kind = entry.header().entry_type();
            if !kind.is_file() {
                let what = if kind.is_symlink() || kind.is_hard_link() {
                    "a link"
                } else if kind.is_dir() {
                    "a folder entry"
                } else if kind.is_character_special() || kind.is_block_special() || kind.is_fifo() {
                    "a device or pipe"
                } else {
                    "an entry that is not a regular file"
                };
                return Err(ArchiveError::unsafe_(
                    label,
                    format!("`{raw_path}` is {what}; a pack archive holds regular files only"),
                    "do not install this file; packs are built with `fixbook pack build`",
                ));
            }
            if raw_path != MANIFEST_NAME && !allowed_path(&raw_path) {
                let why = if raw_path.starts_with('/') || raw_path.contains(":\\") {
                    "an absolute path"
                } else if raw_path.split(['/', '\\']).any(|c| c == "..") {
                    "a path that climbs out of the pack folder (`..`)"
                } else {
                    "a path a pack does not hold (pack.toml, entries/*.toml, scripts/*.rhai, tests/*.toml)"
                };
                return Err(ArchiveError::unsafe_(
                    label,
                    format!("`{raw_path}` is {why}"),
                    "do not install this file; packs are built with `fixbook pack build`",
                ));
            }
            let size = entry.header().size().map_err(read_err)?;
            if size > MAX_FILE_BYTES {
                return Err(too_big(format!(
                    "`{raw_path}` is {size} bytes, over the {MAX_FILE_BYTES} byte limit"
                )));
            }
            total += size;
            if total > MAX_UNPACKED_BYTES {
                return Err(too_big(format!(
                    "it unpacks to more than {MAX_UNPACKED_BYTES} bytes (a decompression bomb?)"
                )));
            }
            let mut data = Vec::with_capacity(size as usize);
            (&mut entry)
                .take(size)
                .read_to_end(&mut data)
                .map_err(read_err)?;
            if (data.len() as u64) != size {
                return Err(ArchiveError::corrupt(
                    label,
                    format!("`{raw_path}` is cut short"),
                ));
            }
            if i == 0 {
                if raw_path != MANIFEST_NAME {
                    return Err(ArchiveError::corrupt(
                        label,
                        format!("the first file is `{raw_path}`, not {MANIFEST_NAME}"),
                    ));
                }
                let m: Manifest = serde_json::from_slice(&data).map_err(|e| {
                    ArchiveError::corrupt(label, format!("{MANIFEST_NAME} does not read: {e}"))
                })?;
                manifest = Some(m);
                continue;
            }
            if raw_path == MANIFEST_NAME || files.iter().any(|(p, _)| *p == raw_path) {
                return Err(ArchiveError::corrupt(
                    label,
                    format!("`{raw_path}` is there twice"),
                ));
            }
            files.push((raw_path, data));
        }
    }
    // the tar reader stops at the end-of-archive blocks: the gzip member must end there too
    // (read through the bound, a block at a time: an endless run of zeros is a bomb too)
    let mut bounded = tar.into_inner();
    let mut block = [0u8; 8192];
    loop {
        let n = bounded.read(&mut block).map_err(read_err)?;
        if n == 0 {
            break;
        }
        if block[..n].iter().any(|&b| b != 0) {
            return Err(ArchiveError::corrupt(
                label,
                "data after the end of the pack's files",
            ));
        }
    }
    drop(bounded);
    if !rest.is_empty() {
        return Err(ArchiveError::corrupt(
            label,
            "data between the pack's files and the seal",
        ));
    }
    let Some(manifest) = manifest else {
        return Err(ArchiveError::corrupt(
            label,
            format!("no {MANIFEST_NAME}: empty archive"),
        ));
    };
    if manifest.format != ARCHIVE_FORMAT {
        return Err(ArchiveError::corrupt(
            label,
            format!(
                "manifest format {} is not {ARCHIVE_FORMAT}",
                manifest.format
            ),
        ));
    }
    let listed: BTreeMap<&str, &FileRecord> = manifest
        .files
        .iter()
        .map(|f| (f.path.as_str(), f))
        .collect();
    if listed.len() != manifest.files.len() || listed.len() != files.len() {
        return Err(ArchiveError::corrupt(
            label,
            format!(
                "the manifest lists {} files, the archive holds {}",
                manifest.files.len(),
                files.len()
            ),
        ));
    }
    for (path, data) in &files {
        let Some(rec) = listed.get(path.as_str()) else {
            return Err(ArchiveError::corrupt(
                label,
                format!("`{path}` is not in the manifest"),
            ));
        };
        if rec.size != data.len() as u64 || rec.sha256 != sha256_hex(data) {
            return Err(ArchiveError::corrupt(
                label,
                format!("`{path}` does not match its SHA-256 in the manifest"),
            ));
        }
    }
    if !files.iter().any(|(p, _)| p == "pack.toml") {
        return Err(ArchiveError::corrupt(
            label,
            "the archive holds no pack.toml",
        ));
    }
    Ok((manifest, files))
}

impl Archive {
    /// Reads and checks an archive file (at most [`MAX_ARCHIVE_BYTES`]).
    pub fn open(path: &Path) -> Result<Archive, ArchiveError> {
        let label = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| ArchiveError::io(path, e))?;
        if !meta.is_file() {
            return Err(ArchiveError::io(path, "not a file"));
        }
        if meta.len() > MAX_ARCHIVE_BYTES {
            return Err(ArchiveError::unsafe_(
                &label,
                format!(
                    "the file is {} bytes, over the {MAX_ARCHIVE_BYTES} byte limit",
                    meta.len()
                ),
                "a pack archive is at most 64 MiB; do not install this file",
            ));
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_ARCHIVE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(|e| ArchiveError::io(path, e))?;
        Archive::from_bytes(&label, &bytes)
    }

    /// Checks an archive held in memory; `label` names it in messages.
    pub fn from_bytes(label: &str, bytes: &[u8]) -> Result<Archive, ArchiveError> {
        if bytes.len() as u64 > MAX_ARCHIVE_BYTES {
            return Err(ArchiveError::unsafe_(
                label,
                format!(
                    "{} bytes, over the {MAX_ARCHIVE_BYTES} byte limit",
                    bytes.len()
                ),
                "a pack archive is at most 64 MiB; do not install this file",
            ));
        }
        let (payload, seal) = split_seal(label, bytes)?;
        let mut signatures = Vec::new();
        for text in &seal.signatures {
            let sig = parse_signature(label, text)?;
            signatures.push(sig);
        }
        let (manifest, files) = unpack(label, payload)?;
        Ok(Archive {
            label: label.to_owned(),
            manifest,
            files,
            signatures,
            sha256: sha256_hex(bytes),
            payload: payload.to_vec(),
            seal_signatures: seal.signatures,
        })
    }

    /// The archive's bytes (payload and seal), as they would be written.
    pub fn to_bytes(&self) -> Vec<u8> {
        seal_with(&self.payload, &self.seal_signatures)
    }

    /// Checks the signatures against `trust`: every signature by a trusted key must verify
    /// (one that does not means the archive was changed), and at least one must be there
    /// unless unsigned packs are allowed. Returns the trusted signers' names.
    pub fn check_trust(&self, trust: &Trust) -> Result<Vec<String>, ArchiveError> {
        let mut signers = Vec::new();
        for (text, info) in self.seal_signatures.iter().zip(&self.signatures) {
            let Some(key) = trust.keys.iter().find(|k| k.id == info.key_id) else {
                continue;
            };
            let pk =
                minisign::PublicKey::from_base64(&key.base64).map_err(|e| ArchiveError::Key {
                    path: key.name.clone(),
                    message: e.to_string(),
                    hint: "give a minisign public key".into(),
                })?;
            let sbox = minisign::SignatureBox::from_string(text)
                .map_err(|_| ArchiveError::corrupt(&self.label, "a signature does not read"))?;
            if minisign::verify(
                &pk,
                &sbox,
                std::io::Cursor::new(&self.payload),
                true,
                false,
                false,
            )
            .is_err()
            {
                return Err(ArchiveError::corrupt(
                    &self.label,
                    format!(
                        "the signature by trusted key {} ({}) does not verify: the archive was changed after it was signed",
                        key.name, key.id
                    ),
                ));
            }
            signers.push(format!("{} ({})", key.name, key.id));
        }
        if signers.is_empty() && !trust.allow_unsigned {
            let (message, hint) = if self.signatures.is_empty() {
                (
                    "the archive is not signed".to_owned(),
                    "ask its author for a signed one (`fixbook pack sign`), or pass \
                     --allow-unsigned if you trust where it came from"
                        .to_owned(),
                )
            } else {
                let ids: Vec<&str> = self.signatures.iter().map(|s| s.key_id.as_str()).collect();
                (
                    format!(
                        "the archive is signed only by keys you do not trust ({})",
                        ids.join(", ")
                    ),
                    "add the signer's public key to your trusted keys (--trusted-key FILE, or \
                     the trusted-keys folder; see docs/packs.md), or pass --allow-unsigned"
                        .to_owned(),
                )
            };
            return Err(ArchiveError::Untrusted {
                label: self.label.clone(),
                message,
                hint,
            });
        }
        Ok(signers)
    }

    /// Refuses a pack whose `min_engine_version` is newer than this engine.
    pub fn check_engine(&self) -> Result<(), ArchiveError> {
        let Some(min) = &self.manifest.min_engine_version else {
            return Ok(());
        };
        let needs = semver::Version::parse(min).map_err(|_| {
            ArchiveError::corrupt(
                &self.label,
                format!("min_engine_version `{min}` is not semver"),
            )
        })?;
        if needs > crate::engine_version() {
            return Err(ArchiveError::EngineTooOld {
                label: self.label.clone(),
                id: self.manifest.id.clone(),
                version: self.manifest.version.clone(),
                needs: min.clone(),
                engine: crate::VERSION.to_owned(),
            });
        }
        Ok(())
    }

    /// The pack's files for loading (`pack.toml`, entries, scripts), from `origin`.
    pub fn to_source(&self, origin: Origin) -> Result<PackSource, ArchiveError> {
        let mut files = Vec::new();
        for (rel, data) in &self.files {
            if rel.starts_with("tests/") {
                continue;
            }
            let text = String::from_utf8(data.clone()).map_err(|_| {
                ArchiveError::Pack(vec![crate::pack::source::io_error(
                    Path::new(&format!("{}/{rel}", self.label)),
                    "not valid UTF-8".into(),
                    "save the file as UTF-8 and rebuild the archive",
                )])
            })?;
            files.push(SourceFile {
                path: format!("{}/{rel}", self.label),
                rel: rel.clone(),
                text,
            });
        }
        files.sort_by(|a, b| (a.rel != "pack.toml", &a.rel).cmp(&(b.rel != "pack.toml", &b.rel)));
        Ok(PackSource { origin, files })
    }
}

fn parse_signature(label: &str, text: &str) -> Result<SignatureInfo, ArchiveError> {
    let bad = || ArchiveError::corrupt(label, "a signature in the seal does not read");
    let sbox = minisign::SignatureBox::from_string(text).map_err(|_| bad())?;
    // one spelling only, so that no byte of a signature can change unseen
    if sbox.to_string() != text
        || sbox.untrusted_comment().ok().as_deref() != Some(SIGNATURE_COMMENT)
    {
        return Err(ArchiveError::corrupt(
            label,
            "damaged: a signature in the seal was changed",
        ));
    }
    let keynum = sbox.keynum();
    let mut id = [0u8; 8];
    id.copy_from_slice(&keynum[..8.min(keynum.len())]);
    Ok(SignatureInfo {
        key_id: format!("{:016X}", u64::from_le_bytes(id)),
        trusted_comment: sbox.trusted_comment().unwrap_or_default(),
    })
}

/// Payload plus a seal holding `signatures`.
pub(crate) fn seal_with(payload: &[u8], signatures: &[String]) -> Vec<u8> {
    let seal = Seal {
        format: ARCHIVE_FORMAT,
        payload_size: payload.len() as u64,
        payload_sha256: sha256_hex(payload),
        signatures: signatures.to_vec(),
    };
    let mut out = payload.to_vec();
    out.extend_from_slice(&encode_seal(&seal));
    out
}

/// A public key trusted to sign packs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedKey {
    /// A name for messages (the key file's name).
    pub name: String,
    /// The key id, as minisign shows it (16 hex digits).
    pub id: String,
    base64: String,
}

impl TrustedKey {
    /// Reads a minisign public key: a `.pub` file (comment line, then the key) or the key's
    /// base64 line itself.
    pub fn parse(name: &str, text: &str) -> Result<TrustedKey, ArchiveError> {
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("untrusted comment:"))
            .unwrap_or("");
        let pk = minisign::PublicKey::from_base64(line).map_err(|_| ArchiveError::Key {
            path: name.to_owned(),
            message: "not a minisign public key".into(),
            hint: "give the .pub file made by `fixbook pack keygen` or `minisign -G`".into(),
        })?;
        Ok(TrustedKey {
            name: name.to_owned(),
            id: key_id(&pk.keynum()[..8]),
            base64: line.to_owned(),
        })
    }

    /// Reads a public key file.
    pub fn from_file(path: &Path) -> Result<TrustedKey, ArchiveError> {
        let text = std::fs::read_to_string(path).map_err(|e| ArchiveError::Key {
            path: path.display().to_string(),
            message: format!("cannot read: {e}"),
            hint: "check the path".into(),
        })?;
        let name = path.file_stem().map_or_else(
            || path.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        TrustedKey::parse(&name, &text).map_err(|e| match e {
            ArchiveError::Key { message, hint, .. } => ArchiveError::Key {
                path: path.display().to_string(),
                message,
                hint,
            },
            other => other,
        })
    }
}

pub(crate) fn key_id(keynum: &[u8]) -> String {
    let mut id = [0u8; 8];
    id.copy_from_slice(&keynum[..8]);
    format!("{:016X}", u64::from_le_bytes(id))
}

/// Which archives to accept: signed by one of these keys, or unsigned when allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trust {
    keys: Vec<TrustedKey>,
    /// Accept archives with no trusted signature.
    pub allow_unsigned: bool,
}

impl Trust {
    /// Trusts nothing: only unsigned archives, and only if allowed.
    pub fn new() -> Trust {
        Trust::default()
    }

    /// Accept archives with no trusted signature too.
    pub fn allow_unsigned(mut self, yes: bool) -> Trust {
        self.allow_unsigned = yes;
        self
    }

    /// Trusts a key.
    pub fn key(mut self, key: TrustedKey) -> Trust {
        if !self.keys.iter().any(|k| k.id == key.id) {
            self.keys.push(key);
        }
        self
    }

    /// Trusts every `*.pub` file in `dir` (a missing folder trusts nothing more).
    pub fn key_dir(mut self, dir: &Path) -> Result<Trust, ArchiveError> {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return Ok(self);
        };
        let mut paths: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "pub"))
            .collect();
        paths.sort();
        for p in paths {
            self = self.key(TrustedKey::from_file(&p)?);
        }
        Ok(self)
    }

    /// The trusted keys.
    pub fn keys(&self) -> &[TrustedKey] {
        &self.keys
    }
}

/// The user's trusted-keys folder: `$FIXBOOK_TRUSTED_KEYS`, else
/// `$XDG_CONFIG_HOME/fixbook/trusted-keys`, else `~/.config/fixbook/trusted-keys`. Reads the
/// environment (only when called).
pub fn default_keys_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("FIXBOOK_TRUSTED_KEYS").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d));
    }
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".config")))
        .map(|d| d.join("fixbook/trusted-keys"))
}

/// Reads, checks and trusts an archive file for loading: the [`PackSource`] of its pack.
pub fn load_source(path: &Path, trust: &Trust) -> Result<PackSource, ArchiveError> {
    let archive = Archive::open(path)?;
    archive.check_trust(trust)?;
    archive.check_engine()?;
    archive.to_source(Origin::Archive(path.to_path_buf()))
}

#[cfg(test)]
mod tests;
