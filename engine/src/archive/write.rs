//! Writing archives: building one from a pack folder, sealing, signing, making keys.

use std::io::Write;
use std::path::Path;

use super::{
    allowed_path, key_id, sha256_hex, Archive, ArchiveError, FileRecord, Manifest, TestSummary,
    ARCHIVE_FORMAT, MANIFEST_NAME, SIGNATURE_COMMENT,
};
use crate::lint::Warning;
use crate::pack::{load_pack, LoadOptions, PackSource};
use crate::testing::{load_examples, run_examples, Outcome, Status};
use crate::{Engine, PackError};

/// Why a build was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The pack or its tests do not load, or lint found errors.
    #[error("{}: the pack has errors; nothing was written", .dir)]
    Pack {
        /// The pack folder.
        dir: String,
        /// Every problem found.
        errors: Vec<PackError>,
    },
    /// Some of the pack's own tests fail.
    #[error("{}: {} of the pack's tests fail; nothing was written", .dir, .failed.len())]
    Tests {
        /// The pack folder.
        dir: String,
        /// The failing examples.
        failed: Vec<Outcome>,
    },
    /// Reading the files failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
}

/// A built archive.
#[derive(Debug, Clone)]
pub struct Built {
    /// The archive's bytes (unsigned).
    pub bytes: Vec<u8>,
    /// Its manifest.
    pub manifest: Manifest,
    /// Lint warnings (a build does not refuse on warnings).
    pub warnings: Vec<Warning>,
}

fn tar_header(path: &str, size: u64) -> Result<tar::Header, std::io::Error> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)?;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_username("")?;
    h.set_groupname("")?;
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    Ok(h)
}

/// The payload of an archive: the manifest, then `files` (sorted by path; each must be a
/// path a pack holds), as a reproducible tar in a gzip member. The manifest's `files` is
/// filled in here. Wrap it with [`seal`] to get an archive.
pub fn assemble(manifest: &Manifest, files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut files: Vec<&(String, Vec<u8>)> = files.iter().collect();
    files.sort_by(|a, b| (a.0 != "pack.toml", &a.0).cmp(&(b.0 != "pack.toml", &b.0)));
    let mut manifest = manifest.clone();
    manifest.files = files
        .iter()
        .map(|(p, d)| FileRecord {
            path: p.clone(),
            size: d.len() as u64,
            sha256: sha256_hex(d),
        })
        .collect();
    let mut json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    json.push(b'\n');
    let gz = flate2::GzBuilder::new()
        .operating_system(0xff)
        .mtime(0)
        .write(Vec::new(), flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    let mut add = |path: &str, data: &[u8]| -> std::io::Result<()> {
        let h = tar_header(path, data.len() as u64)?;
        tar.append(&h, data)
    };
    // writing to memory fails only on a path over the ustar limits, which allowed_path rules out
    let _ = add(MANIFEST_NAME, &json);
    for (p, d) in files {
        let _ = add(p, d);
    }
    tar.into_inner()
        .and_then(|gz| gz.finish())
        .unwrap_or_default()
}

/// An unsigned archive from a payload (from [`assemble`], or any gzip data).
pub fn seal(payload: &[u8]) -> Vec<u8> {
    super::seal_with(payload, &[])
}

/// Reads a pack folder's files for an archive: those a pack holds, sorted.
fn pack_files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, ArchiveError> {
    let mut out = Vec::new();
    let top = dir.join("pack.toml");
    out.push((
        "pack.toml".to_owned(),
        std::fs::read(&top).map_err(|e| ArchiveError::io(&top, e))?,
    ));
    for sub in ["entries", "scripts", "tests"] {
        let d = dir.join(sub);
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        let mut names: Vec<String> = Vec::new();
        for item in rd {
            let item = item.map_err(|e| ArchiveError::io(&d, e))?;
            let name = item.file_name().to_string_lossy().into_owned();
            let rel = format!("{sub}/{name}");
            // what the loader reads (and tests); other files (notes, editor backups) stay out
            if item.path().is_file() && allowed_path(&rel) {
                names.push(rel);
            }
        }
        names.sort();
        for rel in names {
            let p = dir.join(&rel);
            let meta = std::fs::metadata(&p).map_err(|e| ArchiveError::io(&p, e))?;
            if meta.len() > super::MAX_FILE_BYTES {
                return Err(ArchiveError::io(
                    &p,
                    format!(
                        "{} bytes, over the {} byte limit",
                        meta.len(),
                        super::MAX_FILE_BYTES
                    ),
                ));
            }
            out.push((rel, std::fs::read(&p).map_err(|e| ArchiveError::io(&p, e))?));
        }
    }
    Ok(out)
}

/// Builds an archive from a pack folder: loads it strictly, lints it and runs its tests,
/// and refuses on any error or failing test (warnings are returned, not refused).
pub fn build(dir: &Path) -> Result<Built, BuildError> {
    let label = dir.display().to_string();
    let pack_error = |errors: Vec<PackError>| BuildError::Pack {
        dir: label.clone(),
        errors,
    };
    let src = PackSource::from_dir(dir).map_err(pack_error)?;
    let pack = load_pack(&src, &LoadOptions::default()).map_err(pack_error)?;
    let examples = load_examples(dir, &pack.id).map_err(pack_error)?;
    let engine = Engine::builder()
        .builtin(false)
        .pack_dir(dir)
        .strict(true)
        .build()
        .map_err(|e| pack_error(e.pack_errors().to_vec()))?;
    let warnings = crate::lint::lint(&pack, &examples, &engine, &crate::lint::today());
    let outcomes = run_examples(&engine, &pack.id, &examples);
    let mut tests = TestSummary::default();
    for o in &outcomes {
        match o.status {
            Status::Pass | Status::Fixed => tests.passed += 1,
            Status::Fail => tests.failed += 1,
            Status::Todo => tests.todo += 1,
        }
    }
    if tests.failed > 0 {
        return Err(BuildError::Tests {
            dir: label,
            failed: outcomes
                .into_iter()
                .filter(|o| o.status == Status::Fail)
                .collect(),
        });
    }
    let files = pack_files(dir)?;
    let manifest = Manifest {
        format: ARCHIVE_FORMAT,
        id: pack.id.clone(),
        version: pack.version.clone(),
        min_engine_version: pack.min_engine_version.clone(),
        built_with: crate::VERSION.to_owned(),
        tests,
        files: Vec::new(),
    };
    let bytes = seal(&assemble(&manifest, &files));
    // read back: what was written is what an install will accept
    let archive = Archive::from_bytes(&label, &bytes)?;
    Ok(Built {
        bytes,
        manifest: archive.manifest,
        warnings,
    })
}

fn key_error(path: &str, message: impl Into<String>, hint: &str) -> ArchiveError {
    ArchiveError::Key {
        path: path.to_owned(),
        message: message.into(),
        hint: hint.to_owned(),
    }
}

/// Signs a checked archive with a minisign secret key (`key_text`, the key file's text;
/// `password` for a password-protected key). A signature by the same key is replaced.
/// Returns the new archive bytes.
pub fn sign(
    archive: &Archive,
    key_name: &str,
    key_text: &str,
    password: Option<String>,
) -> Result<Vec<u8>, ArchiveError> {
    let sbox = minisign::SecretKeyBox::from_string(key_text).map_err(|_| {
        key_error(
            key_name,
            "not a minisign secret key",
            "give the .key file made by `fixbook pack keygen` or `minisign -G`",
        )
    })?;
    let sk = match password {
        Some(p) => sbox.into_secret_key(Some(p)),
        None => sbox.into_unencrypted_secret_key(),
    }
    .map_err(|e| {
        key_error(
            key_name,
            format!("cannot open the key: {e}"),
            "a password-protected key needs its password in FIXBOOK_KEY_PASSWORD",
        )
    })?;
    let pk = minisign::PublicKey::from_secret_key(&sk).map_err(|e| {
        key_error(
            key_name,
            format!("cannot use the key: {e}"),
            "make a new key",
        )
    })?;
    let id = key_id(&pk.keynum()[..8]);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let trusted = format!(
        "timestamp:{secs}\tfile:{}\tpack:{} {}",
        archive.manifest.file_name(),
        archive.manifest.id,
        archive.manifest.version
    );
    let sig = minisign::sign(
        Some(&pk),
        &sk,
        std::io::Cursor::new(&archive.payload),
        Some(&trusted),
        Some(SIGNATURE_COMMENT),
    )
    .map_err(|e| key_error(key_name, format!("signing failed: {e}"), "check the key"))?;
    let mut signatures: Vec<String> = archive
        .seal_signatures
        .iter()
        .zip(&archive.signatures)
        .filter(|(_, info)| info.key_id != id)
        .map(|(t, _)| t.clone())
        .collect();
    signatures.push(sig.to_string());
    Ok(super::seal_with(&archive.payload, &signatures))
}

/// A new key pair, as the texts of its two files.
#[derive(Debug, Clone)]
pub struct KeyPair {
    /// The public key file (`NAME.pub`): give it to those who install your packs.
    pub public: String,
    /// The secret key file (`NAME.key`): keep it.
    pub secret: String,
    /// The key id (16 hex digits).
    pub id: String,
}

/// Makes a minisign key pair; with a password the secret key is encrypted with it (scrypt),
/// as `minisign -G` does; without, it is stored in clear, as `minisign -G -W` does.
pub fn generate_key(password: Option<String>) -> Result<KeyPair, ArchiveError> {
    let err = |e: minisign::PError| key_error("(new key)", e.to_string(), "try again");
    let kp = match password {
        Some(p) => minisign::KeyPair::generate_encrypted_keypair(Some(p)),
        None => minisign::KeyPair::generate_unencrypted_keypair(),
    }
    .map_err(err)?;
    let id = key_id(&kp.pk.keynum()[..8]);
    let public = kp.pk.to_box().map_err(err)?.into_string();
    let secret = kp
        .sk
        .to_box(Some(&format!("fixbook pack signing key {id}")))
        .map_err(err)?
        .into_string();
    let mut public_text = public;
    if !public_text.ends_with('\n') {
        public_text.push('\n');
    }
    Ok(KeyPair {
        public: public_text,
        secret,
        id,
    })
}

/// Writes `bytes` to `path` through a temporary file beside it, synced, then renamed over.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "archive".into(), |n| n.to_string_lossy().into_owned());
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok::<(), std::io::Error>(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(ArchiveError::io(path, e));
    }
    Ok(())
}

/// Writes an archive file atomically (temporary file, sync, rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ArchiveError> {
    write_atomic(path, bytes)
}
