//! `fixbook pack …` end to end: a pack travels as one signed file and installs with one
//! command; damaged, truncated, untrusted, too-new and older archives are refused.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// A home of its own: data, config and cache folders under a fresh temporary folder.
struct Home {
    root: PathBuf,
}

impl Home {
    fn new(name: &str) -> Home {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root = std::env::temp_dir().join(format!(
            "fixbook-pack-cli-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&root).unwrap();
        Home { root }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_fixbook"));
        c.args(args)
            .current_dir(&self.root)
            .env("HOME", &self.root)
            .env("XDG_DATA_HOME", self.root.join("data"))
            .env("XDG_CONFIG_HOME", self.root.join("config"))
            .env("FIXBOOK_CACHE_DIR", "")
            .env_remove("FIXBOOK_PACK_PATH")
            .env_remove("FIXBOOK_TRUSTED_KEYS")
            .env_remove("FIXBOOK_KEY_PASSWORD");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "fixbook {args:?}: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// Runs a command that must fail; returns its error output.
    fn refused(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(!o.status.success(), "fixbook {args:?} should fail");
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn installed(&self) -> PathBuf {
        self.root.join("data/fixbook/packs")
    }

    /// A new pack `acme` at `version` in `src-VERSION`, built into `acme-VERSION.fixbook`.
    fn pack(&self, version: &str) -> String {
        let src = format!("src-{version}");
        self.ok(&["new", &src, "--id", "acme"]);
        let toml = self.path(&format!("{src}/pack.toml"));
        let text = regex_free_replace(
            &std::fs::read_to_string(&toml).unwrap(),
            "version = ",
            &format!("version = \"{version}\""),
        );
        std::fs::write(&toml, text).unwrap();
        let out = format!("acme-{version}.fixbook");
        self.ok(&["pack", "build", &src, "-o", &out]);
        out
    }

    /// The version of `acme` that loads from the pack folder (`None`: not loaded).
    fn loaded(&self) -> Option<String> {
        let o = self.run(&["--no-builtin", "--json", "packs"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["skipped"], serde_json::json!([]), "{v}");
        v["packs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == "acme")
            .map(|p| p["version"].as_str().unwrap().to_owned())
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

const QUERY: &str = "acme-sync: upstream timed out";

#[test]
fn round_trip_signed_build_install_answer_remove() {
    let h = Home::new("round");
    let file = h.pack("1.0.0");
    let out = h.ok(&["pack", "keygen", "-o", "team"]);
    assert!(
        out.contains("team.key") && out.contains("team.pub"),
        "{out}"
    );
    h.ok(&["pack", "sign", &file, "--key", "team.key"]);

    // the receiving side trusts the team's key through its trusted-keys folder
    let keys = h.path("config/fixbook/trusted-keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::copy(h.path("team.pub"), keys.join("team.pub")).unwrap();
    let out = h.ok(&["pack", "install", &file]);
    assert!(
        out.contains("installed acme 1.0.0") && out.contains("signed by team"),
        "{out}"
    );

    // it loads on the pack path and answers its own tests
    let found = h.ok(&["--no-builtin", "--json", "search", QUERY]);
    assert!(found.contains("\"acme/example-timeout\""), "{found}");
    let pack_dir = h.installed().join("acme");
    let tests = h.ok(&["test", pack_dir.to_str().unwrap()]);
    assert!(tests.contains("3 passed, 0 failed"), "{tests}");

    let list: serde_json::Value = serde_json::from_str(&h.ok(&["--json", "pack", "list"])).unwrap();
    let p = &list["packs"][0];
    assert_eq!(p["id"], "acme");
    assert_eq!(p["version"], "1.0.0");
    assert!(
        p["signed_by"][0].as_str().unwrap().starts_with("team ("),
        "{p}"
    );
    assert!(
        p["source"]
            .as_str()
            .unwrap()
            .ends_with("acme-1.0.0.fixbook"),
        "{p}"
    );
    assert!(p["installed_at"].as_str().unwrap().ends_with('Z'), "{p}");
    let text = h.ok(&["pack", "list"]);
    assert!(
        text.contains("signed by: team") && text.contains("installed:"),
        "{text}"
    );

    let out = h.ok(&["pack", "remove", "acme"]);
    assert!(out.contains("removed acme 1.0.0"), "{out}");
    assert_eq!(h.loaded(), None);
    let e = h.refused(&["pack", "remove", "acme"]);
    assert!(e.contains("no installed pack `acme`"), "{e}");
}

#[test]
fn archives_load_directly_with_the_same_checks() {
    let h = Home::new("direct");
    let file = h.pack("1.0.0");
    let e = h.refused(&["--no-builtin", "--packs", &file, "search", QUERY]);
    assert!(
        e.contains("not signed") && e.contains("--allow-unsigned"),
        "{e}"
    );
    let found = h.ok(&[
        "--no-builtin",
        "--allow-unsigned",
        "--packs",
        &file,
        "search",
        QUERY,
    ]);
    assert!(found.contains("acme/example-timeout"), "{found}");
    h.ok(&["pack", "keygen", "-o", "k"]);
    h.ok(&["pack", "sign", &file, "--key", "k.key"]);
    let found = h.ok(&[
        "--no-builtin",
        "--trusted-key",
        "k.pub",
        "--packs",
        &file,
        "search",
        QUERY,
    ]);
    assert!(found.contains("acme/example-timeout"), "{found}");
}

#[test]
fn builds_are_reproducible() {
    let h = Home::new("repro");
    let a = h.pack("1.0.0");
    h.ok(&["pack", "build", "src-1.0.0", "-o", "again.fixbook"]);
    assert_eq!(
        std::fs::read(h.path(&a)).unwrap(),
        std::fs::read(h.path("again.fixbook")).unwrap()
    );
    // default name: ID-VERSION.fixbook
    std::fs::remove_file(h.path(&a)).unwrap();
    h.ok(&["pack", "build", "src-1.0.0"]);
    assert_eq!(
        std::fs::read(h.path(&a)).unwrap(),
        std::fs::read(h.path("again.fixbook")).unwrap()
    );
}

#[test]
fn tampered_and_truncated_archives_are_refused() {
    let h = Home::new("tamper");
    let file = h.pack("1.0.0");
    h.ok(&["pack", "keygen", "-o", "k"]);
    h.ok(&["pack", "sign", &file, "--key", "k.key"]);
    let good = std::fs::read(h.path(&file)).unwrap();
    let n = good.len();
    for at in [0, 4, 9, 100, n / 3, n / 2, n - 300, n - 40, n - 5, n - 1] {
        let mut b = good.clone();
        b[at] ^= 0x20;
        std::fs::write(h.path("bad.fixbook"), &b).unwrap();
        let e = h.refused(&["--trusted-key", "k.pub", "pack", "install", "bad.fixbook"]);
        assert!(
            e.contains("damaged")
                || e.contains("not a pack archive")
                || e.contains("does not verify"),
            "byte {at}: {e}"
        );
    }
    std::fs::write(h.path("cut.fixbook"), &good[..n / 2]).unwrap();
    let e = h.refused(&["--trusted-key", "k.pub", "pack", "install", "cut.fixbook"]);
    assert!(e.contains("truncated"), "{e}");
    assert!(h.installed().read_dir().map_or(true, |mut d| d.all(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .starts_with('.'))));
    // the good one still installs
    h.ok(&["--trusted-key", "k.pub", "pack", "install", &file]);
    assert_eq!(h.loaded().as_deref(), Some("1.0.0"));
}

#[test]
fn versions_and_engine_compatibility() {
    let h = Home::new("versions");
    let v1 = h.pack("1.0.0");
    let v2 = h.pack("2.0.0");
    let e = h.refused(&["pack", "install", &v1]);
    assert!(e.contains("not signed"), "{e}");
    let e = h.refused(&["--allow-unsigned", "pack", "upgrade", &v2]);
    assert!(e.contains("not installed"), "{e}");
    h.ok(&["--allow-unsigned", "pack", "install", &v1]);
    let e = h.refused(&["--allow-unsigned", "pack", "install", &v1]);
    assert!(
        e.contains("already installed") && e.contains("--force"),
        "{e}"
    );
    let out = h.ok(&["--allow-unsigned", "pack", "upgrade", &v2]);
    assert!(out.contains("replaced 1.0.0 with acme 2.0.0"), "{out}");
    assert_eq!(h.loaded().as_deref(), Some("2.0.0"));
    let e = h.refused(&["--allow-unsigned", "pack", "install", &v1]);
    assert!(
        e.contains("pack `acme` 2.0.0 is installed, newer than 1.0.0")
            && e.contains("not downgrading"),
        "{e}"
    );
    h.ok(&["--allow-unsigned", "pack", "install", &v1, "--force"]);
    assert_eq!(h.loaded().as_deref(), Some("1.0.0"));

    // a pack folder installs too (built first), unsigned
    let out = h.ok(&["--allow-unsigned", "pack", "install", "src-2.0.0"]);
    assert!(out.contains("replaced 1.0.0 with acme 2.0.0"), "{out}");

    // a pack for a newer engine: the build refuses it, and so does install (forged archive)
    let toml = h.path("src-1.0.0/pack.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    let future = regex_free_replace(
        &text,
        "min_engine_version = ",
        "min_engine_version = \"99.0.0\"",
    );
    std::fs::write(&toml, &future).unwrap();
    let e = h.refused(&["pack", "build", "src-1.0.0"]);
    assert!(e.contains("99.0.0"), "{e}");
    let files = vec![
        ("pack.toml".to_owned(), future.into_bytes()),
        (
            "entries/example.toml".to_owned(),
            std::fs::read(h.path("src-1.0.0/entries/example.toml")).unwrap(),
        ),
    ];
    let manifest = fixbook::archive::Manifest {
        format: fixbook::archive::ARCHIVE_FORMAT,
        id: "acme".into(),
        version: "3.0.0".into(),
        min_engine_version: Some("99.0.0".into()),
        built_with: "99.0.0".into(),
        tests: Default::default(),
        files: Vec::new(),
    };
    let bytes = fixbook::archive::seal(&fixbook::archive::assemble(&manifest, &files));
    std::fs::write(h.path("future.fixbook"), bytes).unwrap();
    let e = h.refused(&[
        "--allow-unsigned",
        "pack",
        "install",
        "future.fixbook",
        "--force",
    ]);
    assert!(
        e.contains(&format!(
            "pack `acme` 3.0.0 needs fixbook 99.0.0 or later; this is fixbook {}",
            fixbook::VERSION
        )),
        "{e}"
    );
    assert_eq!(h.loaded().as_deref(), Some("2.0.0"));
}

/// Replaces the rest of the line starting with `key` by `line`.
fn regex_free_replace(text: &str, key: &str, line: &str) -> String {
    text.lines()
        .map(|l| if l.starts_with(key) { line } else { l })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn an_install_killed_midway_leaves_the_old_version_loadable() {
    let h = Home::new("killed");
    let v1 = h.pack("1.0.0");
    let v2 = h.pack("2.0.0");
    h.ok(&["--allow-unsigned", "pack", "install", &v1]);
    let mut seen = Vec::new();
    for delay_ms in [0u64, 1, 3, 6, 10, 15, 25, 40, 60, 90] {
        let old = h.loaded().unwrap();
        let target = if old == "1.0.0" { &v2 } else { &v1 };
        let mut child = h
            .cmd(&["--allow-unsigned", "pack", "install", target, "--force"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        // SIGKILL: no clean-up code runs
        let _ = child.kill();
        let status = child.wait().unwrap();
        let now = h.loaded();
        assert!(
            now.as_deref() == Some("1.0.0") || now.as_deref() == Some("2.0.0"),
            "after a kill at {delay_ms} ms: {now:?}"
        );
        seen.push((delay_ms, status.success(), now));
    }
    // the folder recovers: the next install completes and leaves no hidden leftovers
    h.ok(&["--allow-unsigned", "pack", "install", &v2, "--force"]);
    assert_eq!(h.loaded().as_deref(), Some("2.0.0"));
    let hidden: Vec<String> = std::fs::read_dir(h.installed())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".fixbook-staging"))
        .collect();
    assert!(hidden.is_empty(), "{hidden:?} ({seen:?})");
}
