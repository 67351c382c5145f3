//! Embeds the packs under `../packs` into the library, so `Engine::embedded()` and the
//! `fixbook` command work with no files on disk; and sets `FIXBOOK_BUILD_ID`, a hash of the
//! engine's own sources and data, which keys the on-disk caches (pack snapshots, indexes), so
//! a rebuilt engine never reads what another build wrote.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == ext))
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn main() {
    let manifest =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let packs_dir = manifest.join("../packs");
    println!("cargo:rerun-if-changed={}", packs_dir.display());
    let mut packs: Vec<PathBuf> = std::fs::read_dir(&packs_dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("pack.toml").is_file())
                .collect()
        })
        .unwrap_or_default();
    packs.sort();
    let mut code = String::from("/// Embedded packs: (folder name, [(path in pack, text)]).\npub(crate) static PACKS: &[(&str, &[(&str, &str)])] = &[\n");
    for pack in &packs {
        let name = pack
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut list = vec![("pack.toml".to_owned(), pack.join("pack.toml"))];
        for (sub, ext) in [("entries", "toml"), ("scripts", "rhai")] {
            for f in files(&pack.join(sub), ext) {
                let fname = f
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                list.push((format!("{sub}/{fname}"), f));
            }
        }
        let _ = writeln!(code, "    ({name:?}, &[");
        for (rel, path) in list {
            let abs = path.canonicalize().unwrap_or(path);
            let _ = writeln!(
                code,
                "        ({rel:?}, include_str!({:?})),",
                abs.display().to_string()
            );
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"))
        .join("embedded_packs.rs");
    std::fs::write(out, code).expect("write embedded_packs.rs");
    build_id(&manifest);
}

/// Hashes every file under `src` and `data` (paths and contents, in name order).
fn build_id(manifest: &Path) {
    use std::hash::{Hash, Hasher};
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        found.sort();
        for p in found {
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::env::var("CARGO_PKG_VERSION")
        .unwrap_or_default()
        .hash(&mut h);
    for sub in ["src", "data"] {
        let dir = manifest.join(sub);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        for f in files {
            f.strip_prefix(manifest).unwrap_or(&f).hash(&mut h);
            std::fs::read(&f).unwrap_or_default().hash(&mut h);
        }
    }
    println!("cargo:rustc-env=FIXBOOK_BUILD_ID={:016x}", h.finish());
}
