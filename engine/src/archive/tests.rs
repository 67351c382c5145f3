//! Unit tests of pack archives: format, integrity, safety, trust, install.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use super::*;

/// A fresh empty folder under the system's temporary folder.
fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let d = std::env::temp_dir().join(format!(
        "fixbook-archive-{name}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn pack_toml(version: &str, min_engine: &str) -> String {
    format!(
        r#"format = 1
id = "acme"
name = "Acme sync"
version = "{version}"
description = "What goes wrong with acme-sync."
min_engine_version = "{min_engine}"

[facts."service.restarted"]
type = "bool"
description = "Whether the service was restarted since the error first appeared."
question = "Has the service been restarted since the error first appeared?"
"#
    )
}

const ENTRIES: &str = r#"[[entries]]
id = "upstream-timeout"
title = "Sync fails with 'acme-sync: upstream timed out'"
summary = "The sync service does not answer in time, usually because it is stuck."
keywords = ["acme sync timeout", "sync never finishes"]
aliases = ["the acme sync spins and then says the upstream timed out"]
remedy = ["Check the service's health and logs.", "Restart it if it is stuck."]

  [[entries.signatures]]
  id = "upstream-timed-out"
  pattern = 'acme-sync: upstream timed out'

  [[entries.causes]]
  id = "service-stuck"
  title = "The service is stuck and has not been restarted"
  check = '!fact("service.restarted")'
  explanation = "A stuck process keeps its port open but never answers."
  remedy = ["Restart the service."]
"#;

const TESTS: &str = r#"[[examples]]
name = "exact error"
text = "2026-11-02 10:00:01 acme-sync: upstream timed out after 30s"
expect = "upstream-timeout"

[[examples]]
name = "not restarted"
text = "acme-sync: upstream timed out"
facts = { "service.restarted" = false }
expect = "upstream-timeout"
verdicts = { "service-stuck" = "confirmed" }
"#;

/// A pack folder `acme` at `version`.
fn write_pack(root: &Path, version: &str) -> PathBuf {
    let d = root.join(format!("acme-src-{version}"));
    std::fs::create_dir_all(d.join("entries")).unwrap();
    std::fs::create_dir_all(d.join("tests")).unwrap();
    std::fs::write(d.join("pack.toml"), pack_toml(version, crate::VERSION)).unwrap();
    std::fs::write(d.join("entries/sync.toml"), ENTRIES).unwrap();
    std::fs::write(d.join("tests/examples.toml"), TESTS).unwrap();
    // not a pack file: stays out of the archive
    std::fs::write(d.join("entries/notes.txt"), "draft ideas").unwrap();
    d
}

fn manifest(id: &str, version: &str, min: Option<&str>) -> Manifest {
    Manifest {
        format: ARCHIVE_FORMAT,
        id: id.into(),
        version: version.into(),
        min_engine_version: min.map(str::to_owned),
        built_with: crate::VERSION.into(),
        tests: TestSummary::default(),
        files: Vec::new(),
    }
}

/// The files of the acme pack at `version`, for `assemble`.
fn files(version: &str, min_engine: &str) -> Vec<(String, Vec<u8>)> {
    vec![
        (
            "pack.toml".into(),
            pack_toml(version, min_engine).into_bytes(),
        ),
        ("entries/sync.toml".into(), ENTRIES.as_bytes().to_vec()),
        ("tests/examples.toml".into(), TESTS.as_bytes().to_vec()),
    ]
}

fn archive_bytes(version: &str) -> Vec<u8> {
    seal(&assemble(
        &manifest("acme", version, Some(crate::VERSION)),
        &files(version, crate::VERSION),
    ))
}

fn key() -> (KeyPair, TrustedKey) {
    let kp = generate_key(None).unwrap();
    let tk = TrustedKey::parse("team", &kp.public).unwrap();
    (kp, tk)
}

fn signed_bytes(version: &str, kp: &KeyPair) -> Vec<u8> {
    let a = Archive::from_bytes("a.fixbook", &archive_bytes(version)).unwrap();
    sign(&a, "team.key", &kp.secret, None).unwrap()
}

/// A tar entry with a raw name (the tar crate refuses `..` and absolute names itself).
fn raw_entry(name: &str, kind: tar::EntryType, data: &[u8]) -> (tar::Header, Vec<u8>) {
    let mut h = tar::Header::new_ustar();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_mtime(0);
    h.set_entry_type(kind);
    let bytes = h.as_mut_bytes();
    bytes[..100].fill(0);
    bytes[..name.len()].copy_from_slice(name.as_bytes());
    h.set_cksum();
    (h, data.to_vec())
}

/// A sealed archive of the manifest, then `extra` entries exactly as given.
fn hostile(extra: Vec<(tar::Header, Vec<u8>)>) -> Vec<u8> {
    let m = serde_json::to_vec(&manifest("acme", "1.0.0", None)).unwrap();
    let gz = flate2::GzBuilder::new()
        .operating_system(0xff)
        .write(Vec::new(), flate2::Compression::new(6));
    let mut tar = tar::Builder::new(gz);
    let (h, d) = raw_entry(MANIFEST_NAME, tar::EntryType::Regular, &m);
    tar.append(&h, d.as_slice()).unwrap();
    for (h, d) in extra {
        tar.append(&h, d.as_slice()).unwrap();
    }
    seal(&tar.into_inner().unwrap().finish().unwrap())
}

fn expect_unsafe(bytes: &[u8], needle: &str) {
    match Archive::from_bytes("hostile.fixbook", bytes) {
        Err(e @ ArchiveError::Unsafe { .. }) => {
            let m = e.to_string();
            assert!(m.contains(needle), "{m}");
            assert!(m.contains("refused"), "{m}");
        }
        other => panic!("expected a refusal mentioning {needle:?}, got {other:?}"),
    }
}

#[test]
fn same_input_same_bytes() {
    assert_eq!(archive_bytes("1.0.0"), archive_bytes("1.0.0"));
    let root = temp_dir("repro");
    let dir = write_pack(&root, "1.0.0");
    let a = build(&dir).unwrap();
    // touching the files (new mtimes) changes nothing either
    std::fs::write(dir.join("entries/sync.toml"), ENTRIES).unwrap();
    let b = build(&dir).unwrap();
    assert_eq!(a.bytes, b.bytes);
    assert_eq!(a.manifest.tests.passed, 2);
    assert_eq!(a.manifest.file_name(), "acme-1.0.0.fixbook");
    let paths: Vec<&str> = a.manifest.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        ["pack.toml", "entries/sync.toml", "tests/examples.toml"]
    );
    assert_eq!(
        a.manifest.files[1].sha256,
        sha256_hex(ENTRIES.as_bytes()),
        "the manifest holds each file's SHA-256"
    );
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn build_refuses_failing_tests_and_broken_packs() {
    let root = temp_dir("refuse");
    let dir = write_pack(&root, "1.0.0");
    std::fs::write(
        dir.join("tests/bad.toml"),
        "[[examples]]\ntext = \"printer out of paper\"\nexpect = \"upstream-timeout\"\n",
    )
    .unwrap();
    match build(&dir) {
        Err(BuildError::Tests { failed, .. }) => assert_eq!(failed.len(), 1),
        other => panic!("{other:?}"),
    }
    std::fs::remove_file(dir.join("tests/bad.toml")).unwrap();
    std::fs::write(dir.join("entries/broken.toml"), "[[entries]\n").unwrap();
    match build(&dir) {
        Err(BuildError::Pack { errors, .. }) => {
            assert!(errors[0].path.ends_with("broken.toml"), "{errors:?}")
        }
        other => panic!("{other:?}"),
    }
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn every_changed_byte_is_refused() {
    let (kp, tk) = key();
    let trust = Trust::new().key(tk);
    for bytes in [archive_bytes("1.0.0"), signed_bytes("1.0.0", &kp)] {
        let good = Archive::from_bytes("a", &bytes).unwrap();
        good.check_trust(&Trust::new().allow_unsigned(true))
            .unwrap();
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80] {
                let mut b = bytes.clone();
                b[i] ^= flip;
                let result = Archive::from_bytes("a", &b).and_then(|a| {
                    if good.signatures.is_empty() {
                        Ok(())
                    } else {
                        a.check_trust(&trust).map(drop)
                    }
                });
                assert!(
                    result.is_err(),
                    "byte {i} ^ {flip:#x} of {} went unseen",
                    bytes.len()
                );
            }
        }
    }
}

#[test]
fn truncated_and_extended_archives_are_refused() {
    let bytes = archive_bytes("1.0.0");
    for n in 0..bytes.len() {
        let e = Archive::from_bytes("cut.fixbook", &bytes[..n]).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("truncated") || m.contains("damaged") || m.contains("not a pack archive"),
            "{n}: {m}"
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(Archive::from_bytes("long.fixbook", &longer).is_err());
    assert!(Archive::from_bytes("x", b"").is_err());
    assert!(Archive::from_bytes("x", &[0xff; 4096]).is_err());
}

#[test]
fn paths_out_of_the_pack_links_and_devices_are_refused() {
    use tar::EntryType::{Block, Char, Directory, Link, Regular, Symlink};
    let cases = [
        ("../evil.toml", Regular, "climbs out"),
        ("entries/../../evil.toml", Regular, "climbs out"),
        ("/etc/cron.d/evil", Regular, "absolute path"),
        ("bin/run.sh", Regular, "a path a pack does not hold"),
        (
            "entries/.hidden.toml",
            Regular,
            "a path a pack does not hold",
        ),
        ("entries/link.toml", Symlink, "a link"),
        ("entries/hard.toml", Link, "a link"),
        ("entries/tty.toml", Char, "a device"),
        ("entries/disk.toml", Block, "a device"),
        ("entries", Directory, "a folder entry"),
    ];
    for (name, kind, needle) in cases {
        let bytes = hostile(vec![raw_entry(name, kind, b"")]);
        expect_unsafe(&bytes, needle);
    }
}

#[test]
fn bombs_are_refused() {
    // one file over the per-file limit (its header says so: nothing is unpacked)
    let mut h = tar::Header::new_ustar();
    h.set_path("entries/big.toml").unwrap();
    h.set_size(MAX_FILE_BYTES + 1);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut payload = Vec::new();
    {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(&mut payload, flate2::Compression::fast());
        gz.write_all(h.as_bytes()).unwrap();
        gz.finish().unwrap();
    }
    let mut p2 = GZIP_HEADER.to_vec();
    p2.extend_from_slice(&payload[10..]);
    expect_unsafe(&seal(&p2), "over the 16777216 byte limit");

    // many files under the limit adding up to more than the total: 9 x 15 MiB of zeros
    let zeros = vec![0u8; 15 << 20];
    let extra = (0..9)
        .map(|i| {
            raw_entry(
                &format!("entries/z{i}.toml"),
                tar::EntryType::Regular,
                &zeros,
            )
        })
        .collect();
    let bomb = hostile(extra);
    assert!(bomb.len() < 1 << 20, "a bomb is small: {}", bomb.len());
    expect_unsafe(&bomb, "unpacks to more than");

    // more files than allowed
    let extra = (0..MAX_FILES + 1)
        .map(|i| raw_entry(&format!("entries/e{i}.toml"), tar::EntryType::Regular, b""))
        .collect();
    expect_unsafe(&hostile(extra), "more than 2000 files");

    // an endless run of zeros after the end of the tar
    let mut gz = flate2::GzBuilder::new()
        .operating_system(0xff)
        .write(Vec::new(), flate2::Compression::new(6));
    {
        use std::io::Write as _;
        let m = serde_json::to_vec(&manifest("acme", "1.0.0", None)).unwrap();
        let (h, d) = raw_entry(MANIFEST_NAME, tar::EntryType::Regular, &m);
        gz.write_all(h.as_bytes()).unwrap();
        gz.write_all(&d).unwrap();
        gz.write_all(&vec![0u8; 512 - d.len() % 512]).unwrap();
        for _ in 0..20 {
            gz.write_all(&zeros[..8 << 20]).unwrap();
        }
    }
    expect_unsafe(&seal(&gz.finish().unwrap()), "unpacks to more than");
}

#[test]
fn trust_policy() {
    let (kp, tk) = key();
    let (_, other) = key();
    let unsigned = Archive::from_bytes("u.fixbook", &archive_bytes("1.0.0")).unwrap();
    let e = unsigned
        .check_trust(&Trust::new().key(tk.clone()))
        .unwrap_err();
    assert!(e.to_string().contains("not signed"), "{e}");
    assert!(e.to_string().contains("--allow-unsigned"), "{e}");
    assert_eq!(
        unsigned
            .check_trust(&Trust::new().allow_unsigned(true))
            .unwrap(),
        Vec::<String>::new()
    );

    let signed = Archive::from_bytes("s.fixbook", &signed_bytes("1.0.0", &kp)).unwrap();
    assert_eq!(signed.signatures.len(), 1);
    assert_eq!(signed.signatures[0].key_id, tk.id);
    assert!(signed.signatures[0]
        .trusted_comment
        .contains("pack:acme 1.0.0"));
    let who = signed.check_trust(&Trust::new().key(tk.clone())).unwrap();
    assert_eq!(who, [format!("team ({})", tk.id)]);
    let e = signed
        .check_trust(&Trust::new().key(other.clone()))
        .unwrap_err();
    assert!(e.to_string().contains("keys you do not trust"), "{e}");
    assert!(e.to_string().contains(&tk.id), "{e}");

    // signing again with the same key replaces its signature; another key adds one
    let (kp2, tk2) = key();
    let twice = sign(&signed, "k", &kp.secret, None).unwrap();
    let twice = Archive::from_bytes("t", &twice).unwrap();
    assert_eq!(twice.signatures.len(), 1);
    let both = Archive::from_bytes("b", &sign(&twice, "k2", &kp2.secret, None).unwrap()).unwrap();
    assert_eq!(both.signatures.len(), 2);
    assert_eq!(both.check_trust(&Trust::new().key(tk2)).unwrap().len(), 1);

    // a signature moved onto other content does not verify
    let v2 = Archive::from_bytes("v2", &archive_bytes("2.0.0")).unwrap();
    let forged = seal_with(&v2.payload, &signed.seal_signatures);
    let forged = Archive::from_bytes("forged.fixbook", &forged).unwrap();
    let e = forged.check_trust(&Trust::new().key(tk)).unwrap_err();
    assert!(e.to_string().contains("does not verify"), "{e}");
}

#[test]
fn password_protected_keys() {
    // a low-cost check of the password path: a wrong password is refused with the fix
    let kp = generate_key(None).unwrap();
    let a = Archive::from_bytes("a", &archive_bytes("1.0.0")).unwrap();
    let e = sign(&a, "team.key", "not a key", None).unwrap_err();
    assert!(matches!(e, ArchiveError::Key { .. }), "{e}");
    assert!(e.to_string().starts_with("team.key: "), "{e}");
    assert!(sign(&a, "team.key", &kp.secret, None).is_ok());
    let e = TrustedKey::parse("x.pub", "untrusted comment: x\nnot-a-key\n").unwrap_err();
    assert!(e.to_string().contains("not a minisign public key"), "{e}");
}

#[test]
fn engine_compatibility_is_checked() {
    let bytes = seal(&assemble(
        &manifest("acme", "1.0.0", Some("99.0.0")),
        &files("1.0.0", "99.0.0"),
    ));
    let a = Archive::from_bytes("future.fixbook", &bytes).unwrap();
    let e = a.check_engine().unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("needs fixbook 99.0.0 or later") && m.contains(crate::VERSION),
        "{m}"
    );
    let root = temp_dir("compat");
    let folder = PackFolder::new(root.join("packs"));
    let e = folder
        .install(
            &a,
            &Trust::new().allow_unsigned(true),
            &InstallOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(e, ArchiveError::EngineTooOld { .. }), "{e}");
    assert!(folder.list().is_empty());
    std::fs::remove_dir_all(root).unwrap();
}

fn loaded_version(dir: &Path) -> String {
    let engine = crate::Engine::builder()
        .builtin(false)
        .pack_dir(dir)
        .strict(true)
        .build()
        .unwrap();
    let packs = engine.packs();
    assert_eq!(packs.len(), 1, "{packs:?}");
    assert_eq!(
        engine.search("acme-sync: upstream timed out", 1).matches[0].id,
        "acme/upstream-timeout"
    );
    packs[0].version.clone()
}

#[test]
fn install_upgrade_downgrade_remove() {
    let root = temp_dir("install");
    let folder = PackFolder::new(root.join("packs"));
    let trust = Trust::new().allow_unsigned(true);
    let v1 = Archive::from_bytes("v1.fixbook", &archive_bytes("1.0.0")).unwrap();
    let v2 = Archive::from_bytes("v2.fixbook", &archive_bytes("2.0.0")).unwrap();
    let plain = InstallOptions::default();
    let upgrade = InstallOptions {
        upgrade: true,
        ..Default::default()
    };

    let e = folder.install(&v2, &trust, &upgrade).unwrap_err();
    assert!(e.to_string().contains("not installed"), "{e}");

    let out = folder.install(&v1, &trust, &plain).unwrap();
    assert_eq!(out.replaced, None);
    assert_eq!(loaded_version(folder.dir()), "1.0.0");
    let e = folder.install(&v1, &trust, &plain).unwrap_err();
    assert!(e.to_string().contains("already installed"), "{e}");

    let out = folder.install(&v2, &trust, &upgrade).unwrap();
    assert_eq!(out.replaced.as_deref(), Some("1.0.0"));
    assert_eq!(loaded_version(folder.dir()), "2.0.0");

    let e = folder.install(&v1, &trust, &plain).unwrap_err();
    let m = e.to_string();
    assert!(
        m.contains("acme` 2.0.0 is installed, newer than 1.0.0") && m.contains("--force"),
        "{m}"
    );
    let e = folder.install(&v1, &trust, &upgrade).unwrap_err();
    assert!(e.to_string().contains("not downgrading"), "{e}");
    let forced = InstallOptions {
        force: true,
        ..Default::default()
    };
    folder.install(&v1, &trust, &forced).unwrap();
    assert_eq!(loaded_version(folder.dir()), "1.0.0");

    let listed = folder.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].version, "1.0.0");
    assert_eq!(listed[0].source, "v1.fixbook");
    assert_eq!(listed[0].archive_sha256, v1.sha256);
    assert!(listed[0].installed_at.ends_with('Z'));
    // the installed folder holds the pack's files and tests, nothing else but the record
    let mut names: Vec<String> = walk(&folder.dir().join("acme"));
    names.sort();
    assert_eq!(
        names,
        [
            ".fixbook-install.json",
            "entries/sync.toml",
            "pack.toml",
            "tests/examples.toml"
        ]
    );

    let removed = folder.remove("acme").unwrap();
    assert_eq!(removed.version, "1.0.0");
    assert!(folder.list().is_empty());
    assert!(!folder.dir().join("acme").exists());
    assert!(matches!(
        folder.remove("acme"),
        Err(ArchiveError::NotInstalled { .. })
    ));
    assert!(matches!(
        folder.remove("../etc"),
        Err(ArchiveError::NotInstalled { .. })
    ));
    std::fs::remove_dir_all(root).unwrap();
}

fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if e.path().is_dir() {
            out.extend(walk(&e.path()).into_iter().map(|n| format!("{name}/{n}")));
        } else {
            out.push(name);
        }
    }
    out
}

#[test]
fn an_install_stopped_before_the_swap_leaves_the_old_version() {
    let root = temp_dir("crash");
    let folder = PackFolder::new(root.join("packs"));
    let trust = Trust::new().allow_unsigned(true);
    let v1 = Archive::from_bytes("v1", &archive_bytes("1.0.0")).unwrap();
    let v2 = Archive::from_bytes("v2", &archive_bytes("2.0.0")).unwrap();
    folder
        .install(&v1, &trust, &InstallOptions::default())
        .unwrap();

    // the process dies after writing the new version beside the old one
    let staged = folder
        .stage(&v2, &trust, &InstallOptions::default())
        .unwrap();
    let staging = staged.path().to_path_buf();
    assert!(staging.join("pack.toml").is_file());
    // (no clean-up runs: dropping a staged install only releases its lock, as a killed
    // process's exit does)
    drop(staged);
    assert_eq!(
        loaded_version(folder.dir()),
        "1.0.0",
        "the half install is not loaded"
    );
    assert_eq!(folder.list().len(), 1);

    // the next install cleans up and completes
    folder
        .install(&v2, &trust, &InstallOptions::default())
        .unwrap();
    assert!(!staging.exists());
    assert_eq!(loaded_version(folder.dir()), "2.0.0");

    // a staged install dropped mid-way (an error, a panic) leaves the same
    let v3 = Archive::from_bytes("v3", &archive_bytes("3.0.0")).unwrap();
    drop(
        folder
            .stage(&v3, &trust, &InstallOptions::default())
            .unwrap(),
    );
    assert_eq!(loaded_version(folder.dir()), "2.0.0");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn archives_load_without_unpacking_and_are_checked_the_same_way() {
    let root = temp_dir("load");
    let (kp, tk) = key();
    let signed = root.join("acme-1.0.0.fixbook");
    std::fs::write(&signed, signed_bytes("1.0.0", &kp)).unwrap();
    let try_load = |path: &Path, trust: Trust| {
        crate::Engine::builder()
            .builtin(false)
            .pack_dir(path)
            .archive_trust(trust)
            .build()
    };
    let load = |path: &Path, trust: Trust| try_load(path, trust).unwrap();
    // the file itself, and the folder holding it (as on the pack path)
    for path in [signed.clone(), root.clone()] {
        let e = load(&path, Trust::new().key(tk.clone()));
        assert_eq!(e.packs().len(), 1);
        assert_eq!(e.packs()[0].origin, Origin::Archive(signed.clone()));
        assert_eq!(
            e.search("acme-sync: upstream timed out", 1).matches[0].id,
            "acme/upstream-timeout"
        );
        assert!(e.skipped().is_empty());
    }
    // untrusted: an error when named, skipped with the reason in a folder of packs
    let err = try_load(&signed, Trust::new()).unwrap_err();
    assert_eq!(err.pack_errors()[0].kind, crate::PackErrorKind::Archive);
    let e = load(&root, Trust::new());
    assert!(e.packs().is_empty());
    let skipped = e.skipped();
    assert_eq!(skipped[0].kind, crate::PackErrorKind::Archive);
    assert!(
        skipped[0].message.contains("keys you do not trust"),
        "{skipped:?}"
    );
    // tampered: skipped
    let mut b = std::fs::read(&signed).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x10;
    std::fs::write(&signed, &b).unwrap();
    let e = load(&root, Trust::new().key(tk));
    assert!(e.packs().is_empty());
    assert!(
        e.skipped()[0].message.contains("damaged"),
        "{:?}",
        e.skipped()
    );
    std::fs::remove_dir_all(root).unwrap();
}
