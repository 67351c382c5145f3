//! Installing archives into a pack folder, atomically; listing and removing them.
//!
//! An installed pack is a folder `<pack folder>/<id>/` holding the pack's files and
//! `.fixbook-install.json` (version, source, signers, when). An install writes the new
//! version into a hidden folder beside it (`.fixbook-staging-…`), syncs every file and
//! folder, then swaps it in with one rename (on Linux, an atomic exchange of the two
//! folders), so the pack folder always holds either the old version whole or the new one
//! whole: an install killed at any point leaves the old version loadable. Hidden folders
//! are never loaded, and the leftovers of an interrupted install are removed by the next
//! install or removal. A lock file keeps two installs in one folder from interleaving.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Archive, ArchiveError, Trust};
use crate::pack::{load_pack, LoadOptions, Origin};

/// The install record inside an installed pack's folder.
pub const RECORD_NAME: &str = ".fixbook-install.json";
const STAGING_PREFIX: &str = ".fixbook-staging-";
const LOCK_NAME: &str = ".fixbook-lock";

/// An installed pack, as [`PackFolder::list`] shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installed {
    /// Pack id.
    pub id: String,
    /// Installed version.
    pub version: String,
    /// Where it was installed from (the archive or folder given to install).
    pub source: String,
    /// The trusted keys whose signatures were checked at install (empty: unsigned, or
    /// installed with `--allow-unsigned` and no trusted signature).
    pub signed_by: Vec<String>,
    /// When it was installed (UTC, `YYYY-MM-DDTHH:MM:SSZ`); empty when unknown.
    pub installed_at: String,
    /// SHA-256 of the archive installed, lowercase hex; empty when unknown.
    pub archive_sha256: String,
    /// The pack's folder (or archive file, for an archive placed in the pack folder).
    #[serde(skip_deserializing)]
    pub path: PathBuf,
}

/// What [`PackFolder::install`] should do beyond a plain install.
#[derive(Debug, Clone, Default)]
pub struct InstallOptions {
    /// Replace a newer or equal installed version too (a downgrade or a reinstall).
    pub force: bool,
    /// An upgrade: the pack must be installed already, at an older version.
    pub upgrade: bool,
    /// Where the archive came from, as recorded (default: the archive's label).
    pub source: Option<String>,
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InstallOutcome {
    /// The record of the pack now installed.
    pub installed: Installed,
    /// The version it replaced, if any.
    pub replaced: Option<String>,
}

/// A pack folder packs are installed into (the pack path's data folder, or another).
#[derive(Debug, Clone)]
pub struct PackFolder {
    dir: PathBuf,
}

/// A new version written beside the installed one, not yet swapped in. Dropping it without
/// [`Staged::commit`] is what an install killed before its last step leaves behind.
#[derive(Debug)]
pub struct Staged {
    folder: PackFolder,
    staging: PathBuf,
    record: Installed,
    replaced: Option<String>,
    _lock: File,
}

fn valid_id(id: &str) -> bool {
    let b = id.as_bytes();
    !b.is_empty()
        && b.len() <= 100
        && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_' || *c == b'-')
}

fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let day = crate::dates::civil_date((secs / 86_400) as i64);
    let t = secs % 86_400;
    format!("{day}T{:02}:{:02}:{:02}Z", t / 3600, t / 60 % 60, t % 60)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The version in a pack folder's `pack.toml`, for packs copied in by hand.
fn manifest_version(dir: &Path) -> Option<(String, String)> {
    let text = std::fs::read_to_string(dir.join("pack.toml")).ok()?;
    let t: toml::Table = toml::from_str(&text).ok()?;
    Some((
        t.get("id")?.as_str()?.to_owned(),
        t.get("version")?.as_str()?.to_owned(),
    ))
}

fn version_error(message: String, hint: &str) -> ArchiveError {
    ArchiveError::Version {
        message,
        hint: hint.to_owned(),
    }
}

/// Swaps `staging` in at `target`: an atomic exchange where the system has one, else two
/// renames. Afterwards `staging` holds the old version (if there was one).
fn swap_in(staging: &Path, target: &Path) -> std::io::Result<()> {
    if !target.exists() {
        return std::fs::rename(staging, target);
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::fs::{renameat_with, RenameFlags, CWD};
        if renameat_with(CWD, staging, CWD, target, RenameFlags::EXCHANGE).is_ok() {
            return Ok(());
        }
    }
    // no atomic exchange here: a short window where the pack folder is missing
    let aside = staging.with_extension("old");
    std::fs::rename(target, &aside)?;
    std::fs::rename(staging, target)?;
    std::fs::rename(&aside, staging)
}

impl PackFolder {
    /// A pack folder at `dir` (created on the first install).
    pub fn new(dir: impl Into<PathBuf>) -> PackFolder {
        PackFolder { dir: dir.into() }
    }

    /// The user's pack folder, the last folder of the pack path:
    /// `$XDG_DATA_HOME/fixbook/packs`, else `~/.local/share/fixbook/packs`. Reads the
    /// environment (only when called).
    pub fn user_default() -> Option<PackFolder> {
        crate::engine::user_pack_dir().map(PackFolder::new)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> Result<File, ArchiveError> {
        std::fs::create_dir_all(&self.dir).map_err(|e| ArchiveError::io(&self.dir, e))?;
        let path = self.dir.join(LOCK_NAME);
        let f = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| ArchiveError::io(&path, e))?;
        #[cfg(target_os = "linux")]
        rustix::fs::flock(&f, rustix::fs::FlockOperation::LockExclusive)
            .map_err(|e| ArchiveError::io(&path, e))?;
        Ok(f)
    }

    /// Removes what interrupted installs and removals left (call with the lock held).
    fn clean_leftovers(&self) {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return;
        };
        for item in rd.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with(STAGING_PREFIX) {
                let _ = std::fs::remove_dir_all(item.path());
            }
        }
    }

    /// The installed record of `id`, if it is installed.
    pub fn get(&self, id: &str) -> Option<Installed> {
        if !valid_id(id) {
            return None;
        }
        self.read_record(&self.dir.join(id))
    }

    fn read_record(&self, dir: &Path) -> Option<Installed> {
        if !dir.join("pack.toml").is_file() {
            return None;
        }
        let rec = std::fs::read(dir.join(RECORD_NAME))
            .ok()
            .and_then(|b| serde_json::from_slice::<Installed>(&b).ok());
        match rec {
            Some(mut r) => {
                r.path = dir.to_path_buf();
                Some(r)
            }
            None => {
                let (id, version) = manifest_version(dir)?;
                Some(Installed {
                    id,
                    version,
                    source: "(copied in by hand)".into(),
                    signed_by: Vec::new(),
                    installed_at: String::new(),
                    archive_sha256: String::new(),
                    path: dir.to_path_buf(),
                })
            }
        }
    }

    /// The packs in the folder: installed folders, folders copied in, and archives placed
    /// there, by id.
    pub fn list(&self) -> Vec<Installed> {
        let Ok(rd) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for item in rd.flatten() {
            let name = item.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let p = item.path();
            if p.is_dir() {
                out.extend(self.read_record(&p));
            } else if p.extension().is_some_and(|x| x == super::EXTENSION) {
                if let Ok(a) = Archive::open(&p) {
                    out.push(Installed {
                        id: a.manifest.id.clone(),
                        version: a.manifest.version.clone(),
                        source: "(archive in the pack folder, checked at each load)".into(),
                        signed_by: a.signatures.iter().map(|s| s.key_id.clone()).collect(),
                        installed_at: String::new(),
                        archive_sha256: a.sha256.clone(),
                        path: p,
                    });
                }
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Checks an archive and writes it beside the installed version, without swapping it
    /// in. Refuses an archive that is damaged or unsafe, not trusted, made for a newer
    /// engine, whose pack does not load, or (unless forced) older than or equal to the
    /// installed version; an upgrade of a pack that is not installed.
    pub fn stage(
        &self,
        archive: &Archive,
        trust: &Trust,
        opts: &InstallOptions,
    ) -> Result<Staged, ArchiveError> {
        let m = &archive.manifest;
        if !valid_id(&m.id) {
            return Err(ArchiveError::corrupt(
                &archive.label,
                format!(
                    "pack id `{}` is not lowercase letters, digits and '-'",
                    m.id
                ),
            ));
        }
        archive.check_engine()?;
        let signed_by = archive.check_trust(trust)?;
        let source = archive.to_source(Origin::Archive(PathBuf::from(&archive.label)))?;
        let pack = load_pack(&source, &LoadOptions::default()).map_err(ArchiveError::Pack)?;
        if pack.id != m.id || pack.version != m.version {
            return Err(ArchiveError::corrupt(
                &archive.label,
                format!(
                    "the manifest says {} {}, pack.toml says {} {}",
                    m.id, m.version, pack.id, pack.version
                ),
            ));
        }
        let new_v = semver::Version::parse(&m.version).map_err(|_| {
            ArchiveError::corrupt(
                &archive.label,
                format!("version `{}` is not semver", m.version),
            )
        })?;
        let lock = self.lock()?;
        self.clean_leftovers();
        let target = self.dir.join(&m.id);
        let current = self.read_record(&target);
        if target.exists() && current.is_none() {
            return Err(version_error(
                format!(
                    "{} exists but holds no pack; not replacing it",
                    target.display()
                ),
                "move it away, then install again",
            ));
        }
        match &current {
            None if opts.upgrade => {
                return Err(version_error(
                    format!(
                        "pack `{}` is not installed, so there is nothing to upgrade",
                        m.id
                    ),
                    "use `fixbook pack install`",
                ))
            }
            None => {}
            Some(cur) => {
                let cur_v = semver::Version::parse(&cur.version).ok();
                let newer_installed = cur_v.as_ref().is_some_and(|c| *c > new_v);
                let same = cur_v.as_ref() == Some(&new_v);
                if newer_installed && !opts.force {
                    return Err(version_error(
                        format!(
                            "pack `{}` {} is installed, newer than {} in {}; not downgrading",
                            m.id, cur.version, m.version, archive.label
                        ),
                        "pass --force to install the older version anyway",
                    ));
                }
                if same && !opts.force {
                    return Err(version_error(
                        format!("pack `{}` {} is already installed", m.id, m.version),
                        "pass --force to install it again",
                    ));
                }
            }
        }
        let record = Installed {
            id: m.id.clone(),
            version: m.version.clone(),
            source: opts.source.clone().unwrap_or_else(|| archive.label.clone()),
            signed_by,
            installed_at: now_utc(),
            archive_sha256: archive.sha256.clone(),
            path: target.clone(),
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let staging = self.dir.join(format!(
            "{STAGING_PREFIX}{}-{}-{nanos}",
            m.id,
            std::process::id()
        ));
        let write = || -> std::io::Result<()> {
            std::fs::create_dir(&staging)?;
            let mut dirs = vec![staging.clone()];
            for (rel, data) in &archive.files {
                // paths were checked by allowed_path: `pack.toml` or `SUB/NAME`
                let p = staging.join(rel);
                if let Some(parent) = p.parent() {
                    if !parent.exists() {
                        std::fs::create_dir(parent)?;
                        dirs.push(parent.to_path_buf());
                    }
                }
                let mut f = File::create(&p)?;
                f.write_all(data)?;
                f.sync_all()?;
            }
            let mut json = serde_json::to_vec_pretty(&record).unwrap_or_default();
            json.push(b'\n');
            let mut f = File::create(staging.join(RECORD_NAME))?;
            f.write_all(&json)?;
            f.sync_all()?;
            for d in dirs.iter().rev() {
                sync_dir(d)?;
            }
            Ok(())
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(ArchiveError::io(&staging, e));
        }
        Ok(Staged {
            folder: self.clone(),
            staging,
            record,
            replaced: current.map(|c| c.version),
            _lock: lock,
        })
    }

    /// Checks and installs an archive: [`PackFolder::stage`], then [`Staged::commit`].
    pub fn install(
        &self,
        archive: &Archive,
        trust: &Trust,
        opts: &InstallOptions,
    ) -> Result<InstallOutcome, ArchiveError> {
        self.stage(archive, trust, opts)?.commit()
    }

    /// Removes an installed pack (renamed aside first, so it is never half removed).
    pub fn remove(&self, id: &str) -> Result<Installed, ArchiveError> {
        let not_installed = || ArchiveError::NotInstalled {
            id: id.to_owned(),
            dir: self.dir.clone(),
        };
        if !valid_id(id) {
            return Err(not_installed());
        }
        let target = self.dir.join(id);
        let Some(rec) = self.read_record(&target) else {
            return Err(not_installed());
        };
        let _lock = self.lock()?;
        self.clean_leftovers();
        let aside = self.dir.join(format!(
            "{STAGING_PREFIX}{id}-{}-removed",
            std::process::id()
        ));
        std::fs::rename(&target, &aside).map_err(|e| ArchiveError::io(&target, e))?;
        let _ = sync_dir(&self.dir);
        let _ = std::fs::remove_dir_all(&aside);
        Ok(rec)
    }
}

impl Staged {
    /// The folder holding the new version, not yet swapped in.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// Swaps the new version in (one rename) and removes the old one.
    pub fn commit(self) -> Result<InstallOutcome, ArchiveError> {
        let target = &self.record.path;
        swap_in(&self.staging, target).map_err(|e| ArchiveError::io(target, e))?;
        let _ = sync_dir(&self.folder.dir);
        if self.staging.exists() {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
        Ok(InstallOutcome {
            installed: self.record,
            replaced: self.replaced,
        })
    }
}
