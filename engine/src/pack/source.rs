//! Reading a pack's files, from a folder or from memory, with size limits.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{PackError, PackErrorKind};

/// Largest pack file read, in bytes. Larger files are refused with an error.
pub const MAX_FILE_SIZE: u64 = 16 << 20;

/// Where a pack came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "path", rename_all = "lowercase")]
pub enum Origin {
    /// Embedded in the binary at build time.
    Builtin,
    /// A folder on disk.
    Dir(PathBuf),
    /// A pack archive (`.fixbook` file), read without unpacking.
    Archive(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Builtin => f.write_str("builtin"),
            Origin::Dir(p) | Origin::Archive(p) => write!(f, "{}", p.display()),
        }
    }
}

/// One file of a pack.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path shown in messages.
    pub path: String,
    /// The path inside the pack, with `/` separators (`entries/sso.toml`).
    pub rel: String,
    /// The file's text.
    pub text: String,
}

/// The files of one pack, ready to load.
#[derive(Debug, Clone)]
pub struct PackSource {
    /// Where the pack came from.
    pub origin: Origin,
    /// `pack.toml`, then `entries/*.toml` and `scripts/*.rhai` in name order.
    pub files: Vec<SourceFile>,
}

/// An `io` error about a file or a whole pack folder, with no position in it.
pub(crate) fn io_error(path: &Path, message: String, hint: &str) -> PackError {
    PackError {
        kind: PackErrorKind::Io,
        path: path.display().to_string(),
        line: 0,
        column: 0,
        message,
        hint: hint.into(),
        entry: None,
        source_line: None,
        length: 0,
    }
}

fn read_limited(path: &Path) -> Result<String, PackError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        io_error(
            path,
            format!("cannot read: {e}"),
            "check the path and permissions",
        )
    })?;
    if meta.len() > MAX_FILE_SIZE {
        return Err(io_error(
            path,
            format!(
                "file is {} bytes, over the {} byte limit for pack files",
                meta.len(),
                MAX_FILE_SIZE
            ),
            "split the file into several files under entries/",
        ));
    }
    // bounded read: the size in the metadata may be wrong (a FIFO, a device, a file growing)
    let bytes = crate::input::read_file_bounded(path, MAX_FILE_SIZE as usize).map_err(|e| {
        let hint = match &e {
            crate::Error::Io { source, .. }
                if source.kind() == std::io::ErrorKind::FileTooLarge =>
            {
                "split the file into several files under entries/"
            }
            _ => "check the path and permissions",
        };
        let message = match e {
            crate::Error::Io { source, .. } => format!("cannot read: {source}"),
            other => format!("cannot read: {other}"),
        };
        io_error(path, message, hint)
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let before = &e.as_bytes()[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let column = before.len()
            - before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |p| p + 1)
            + 1;
        let mut err = io_error(
            path,
            format!("not valid UTF-8 (at byte {at})"),
            "save the file as UTF-8",
        );
        err.line = line;
        err.column = column;
        err
    })
}

fn list_dir(dir: &Path, ext: &str) -> Result<Vec<PathBuf>, PackError> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let rd = std::fs::read_dir(dir)
        .map_err(|e| io_error(dir, format!("cannot list: {e}"), "check permissions"))?;
    for item in rd {
        let item =
            item.map_err(|e| io_error(dir, format!("cannot list: {e}"), "check permissions"))?;
        let p = item.path();
        if p.is_file() && p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

impl PackSource {
    /// Reads a pack folder: `pack.toml`, `entries/*.toml`, `scripts/*.rhai`.
    pub fn from_dir(dir: &Path) -> Result<PackSource, Vec<PackError>> {
        let manifest = dir.join("pack.toml");
        if !manifest.is_file() {
            return Err(vec![io_error(
                &manifest,
                format!("{} is not a pack: it has no pack.toml", dir.display()),
                "point at a pack folder (one with pack.toml), or create one there",
            )]);
        }
        let mut paths = vec![manifest];
        let mut errors = Vec::new();
        for (sub, ext) in [("entries", "toml"), ("scripts", "rhai")] {
            match list_dir(&dir.join(sub), ext) {
                Ok(p) => paths.extend(p),
                Err(e) => errors.push(e),
            }
        }
        let mut files = Vec::new();
        for p in paths {
            match read_limited(&p) {
                Ok(text) => {
                    let rel = p
                        .strip_prefix(dir)
                        .unwrap_or(&p)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    files.push(SourceFile {
                        path: p.display().to_string(),
                        rel,
                        text,
                    })
                }
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(PackSource {
            origin: Origin::Dir(dir.to_path_buf()),
            files,
        })
    }

    /// A pack from in-memory files (`rel` path, text); used for embedded packs.
    pub fn from_memory(label: &str, origin: Origin, files: &[(&str, &str)]) -> PackSource {
        let mut files: Vec<SourceFile> = files
            .iter()
            .map(|(rel, text)| SourceFile {
                path: format!("{label}/{rel}"),
                rel: (*rel).to_owned(),
                text: (*text).to_owned(),
            })
            .collect();
        files.sort_by(|a, b| (a.rel != "pack.toml", &a.rel).cmp(&(b.rel != "pack.toml", &b.rel)));
        PackSource { origin, files }
    }
}

/// Whether `path` names a pack archive (a `.fixbook` file).
pub fn is_archive(path: &Path) -> bool {
    path.extension()
        .is_some_and(|x| x == crate::archive::EXTENSION)
        && path.is_file()
}

/// Every pack directly under `dir`: folders holding a `pack.toml` and pack archives
/// (`.fixbook` files), in name order; or `dir` itself when it is a pack or an archive.
/// Hidden entries (names starting with `.`, such as an install in progress) are skipped.
pub fn discover(dir: &Path) -> Vec<PathBuf> {
    if dir.join("pack.toml").is_file() || is_archive(dir) {
        return vec![dir.to_path_buf()];
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .filter(|p| p.join("pack.toml").is_file() || is_archive(p))
        .collect();
    out.sort();
    out
}
