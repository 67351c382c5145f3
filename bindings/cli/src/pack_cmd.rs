//! `fixbook pack …`: build, sign, install, upgrade, list and remove pack archives.
//!
//! Every check (lint and tests before a build, hashes, signatures, paths, sizes, versions)
//! is the engine's (`fixbook::archive`); this module parses arguments and prints.

use std::path::{Path, PathBuf};

/// `println!` that ignores a closed pipe (`fixbook pack list | head`).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

use clap::{Args, Subcommand};
use fixbook::archive::{
    self, Archive, ArchiveError, BuildError, InstallOptions, PackFolder, Trust, TrustedKey,
};

use crate::exit;
use crate::render::Style;

/// The environment variable holding a signing key's password.
const PASSWORD_VAR: &str = "FIXBOOK_KEY_PASSWORD";

/// `fixbook pack` arguments.
#[derive(Args, Debug)]
pub struct PackArgs {
    /// The pack folder to install into, list and remove from (default: the user's pack
    /// folder, $XDG_DATA_HOME/fixbook/packs, else ~/.local/share/fixbook/packs).
    #[arg(long, value_name = "DIR", global = true)]
    pack_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: PackCommand,
}

#[derive(Subcommand, Debug)]
enum PackCommand {
    /// Lint and test a pack folder, then write it as one archive (ID-VERSION.fixbook).
    Build {
        /// The pack folder.
        dir: PathBuf,
        /// The archive to write (default: ID-VERSION.fixbook in the current folder).
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Sign an archive with a minisign secret key (password, if any, in FIXBOOK_KEY_PASSWORD).
    Sign {
        /// The archive.
        file: PathBuf,
        /// The secret key file (from `fixbook pack keygen` or `minisign -G`).
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
    },
    /// Install an archive (or a pack folder, built first) into the pack folder.
    Install {
        /// A .fixbook archive or a pack folder.
        source: PathBuf,
        /// Install even over a newer or equal installed version.
        #[arg(long)]
        force: bool,
    },
    /// Replace an installed pack with the newer version in an archive.
    Upgrade {
        /// A .fixbook archive.
        file: PathBuf,
        /// Upgrade even to an older or equal version.
        #[arg(long)]
        force: bool,
    },
    /// List the packs in the pack folder: id, version, source, signed by, installed when.
    List,
    /// Remove an installed pack.
    Remove {
        /// The pack id.
        id: String,
    },
    /// Make a signing key pair: PREFIX.key (secret) and PREFIX.pub (give it to users).
    Keygen {
        /// Path prefix of the two files.
        #[arg(
            short = 'o',
            long = "output",
            value_name = "PREFIX",
            default_value = "fixbook-signing"
        )]
        output: PathBuf,
        /// Overwrite existing key files.
        #[arg(long)]
        force: bool,
    },
    /// Check an archive and show its manifest, signatures and whether you trust them.
    Inspect {
        /// A .fixbook archive.
        file: PathBuf,
    },
}

/// How archives are trusted: the trusted-keys folder, `--trusted-key` files, and whether
/// `--allow-unsigned` was given.
pub fn trust(keys: &[PathBuf], allow_unsigned: bool) -> Result<Trust, (u8, String)> {
    let mut t = Trust::new().allow_unsigned(allow_unsigned);
    if let Some(dir) = archive::default_keys_dir() {
        t = t.key_dir(&dir).map_err(usage)?;
    }
    for k in keys {
        t = t.key(TrustedKey::from_file(k).map_err(usage)?);
    }
    Ok(t)
}

fn usage(e: ArchiveError) -> (u8, String) {
    (exit::USAGE, e.to_string())
}

fn folder(args: &PackArgs) -> Result<PackFolder, (u8, String)> {
    match &args.pack_dir {
        Some(d) => Ok(PackFolder::new(d)),
        None => PackFolder::user_default().ok_or_else(|| {
            (
                exit::USAGE,
                "no pack folder: set HOME or XDG_DATA_HOME, or pass --pack-dir".to_owned(),
            )
        }),
    }
}

fn print_json<T: serde::Serialize>(v: &T) {
    outln!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

fn build_refused(e: BuildError, s: &Style) -> (u8, String) {
    match e {
        BuildError::Pack { ref errors, .. } => {
            for pe in errors {
                crate::author::print_error(s, pe);
            }
            (exit::NO_MATCH, e.to_string())
        }
        BuildError::Tests { ref failed, .. } => {
            for o in failed {
                eprintln!("{} {}  {}", s.red("FAIL"), o.name, s.dim(&o.location));
                for p in &o.problems {
                    eprintln!("       {p}");
                }
            }
            (exit::NO_MATCH, e.to_string())
        }
        other => (exit::USAGE, other.to_string()),
    }
}

fn built_archive(dir: &Path, s: &Style) -> Result<archive::Built, (u8, String)> {
    let built = archive::build(dir).map_err(|e| build_refused(e, s))?;
    for w in &built.warnings {
        eprintln!(
            "{}: {} [{}] ({}:{})",
            s.yellow("warning"),
            w.message,
            w.check,
            w.path,
            w.line
        );
    }
    Ok(built)
}

/// Runs `fixbook pack …`.
pub fn run(
    args: &PackArgs,
    keys: &[PathBuf],
    allow_unsigned: bool,
    json: bool,
    s: &Style,
) -> Result<u8, (u8, String)> {
    match &args.command {
        PackCommand::Build { dir, output } => {
            let built = built_archive(dir, s)?;
            let out = output
                .clone()
                .unwrap_or_else(|| PathBuf::from(built.manifest.file_name()));
            archive::write_file(&out, &built.bytes).map_err(usage)?;
            let t = built.manifest.tests;
            if json {
                print_json(&fixbook::answer::ArchiveBuilt {
                    file: out.clone(),
                    manifest: built.manifest.clone(),
                    sha256: sha(&built.bytes),
                });
            } else {
                outln!(
                    "built {} ({} {}, {} files, tests: {} passed, {} todo; unsigned: sign it with `fixbook pack sign {0} --key KEY`)",
                    out.display(),
                    built.manifest.id,
                    built.manifest.version,
                    built.manifest.files.len(),
                    t.passed,
                    t.todo
                );
            }
            Ok(exit::OK)
        }
        PackCommand::Sign { file, key } => {
            let a = Archive::open(file).map_err(usage)?;
            let key_text = std::fs::read_to_string(key).map_err(|e| {
                (
                    exit::USAGE,
                    format!("{}: cannot read the key: {e}", key.display()),
                )
            })?;
            let password = std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty());
            let bytes = archive::sign(&a, &key.display().to_string(), &key_text, password)
                .map_err(usage)?;
            archive::write_file(file, &bytes).map_err(usage)?;
            let signed = Archive::from_bytes(&file.display().to_string(), &bytes).map_err(usage)?;
            let ids: Vec<&str> = signed
                .signatures
                .iter()
                .map(|x| x.key_id.as_str())
                .collect();
            outln!(
                "signed {} (signatures by key {})",
                file.display(),
                ids.join(", ")
            );
            Ok(exit::OK)
        }
        PackCommand::Install { source, force } => {
            let trust = trust(keys, allow_unsigned)?;
            let (a, label) = if source.is_dir() {
                let built = built_archive(source, s)?;
                let label = source.display().to_string();
                (
                    Archive::from_bytes(&label, &built.bytes).map_err(usage)?,
                    label,
                )
            } else {
                (
                    Archive::open(source).map_err(usage)?,
                    source.display().to_string(),
                )
            };
            let opts = InstallOptions {
                force: *force,
                upgrade: false,
                source: Some(absolute(&label)),
            };
            install(&folder(args)?, &a, &trust, &opts, json)
        }
        PackCommand::Upgrade { file, force } => {
            let trust = trust(keys, allow_unsigned)?;
            let a = Archive::open(file).map_err(usage)?;
            let opts = InstallOptions {
                force: *force,
                upgrade: true,
                source: Some(absolute(&file.display().to_string())),
            };
            install(&folder(args)?, &a, &trust, &opts, json)
        }
        PackCommand::List => {
            let f = folder(args)?;
            let packs = f.list();
            if json {
                print_json(&fixbook::answer::InstalledReport {
                    folder: f.dir().to_path_buf(),
                    packs,
                });
                return Ok(exit::OK);
            }
            if packs.is_empty() {
                outln!("No packs installed in {}.", f.dir().display());
            }
            for p in &packs {
                outln!("{} {}", s.bold(&p.id), p.version);
                outln!("    source:    {}", p.source);
                outln!(
                    "    signed by: {}",
                    if p.signed_by.is_empty() {
                        "nobody trusted (installed with --allow-unsigned)".to_owned()
                    } else {
                        p.signed_by.join(", ")
                    }
                );
                outln!(
                    "    installed: {}",
                    if p.installed_at.is_empty() {
                        "unknown"
                    } else {
                        &p.installed_at
                    }
                );
            }
            Ok(exit::OK)
        }
        PackCommand::Remove { id } => {
            let rec = folder(args)?.remove(id).map_err(usage)?;
            if json {
                print_json(&rec);
            } else {
                outln!(
                    "removed {} {} from {}",
                    rec.id,
                    rec.version,
                    rec.path.display()
                );
            }
            Ok(exit::OK)
        }
        PackCommand::Keygen { output, force } => {
            let secret = output.with_extension("key");
            let public = output.with_extension("pub");
            for p in [&secret, &public] {
                if p.exists() && !force {
                    return Err((
                        exit::USAGE,
                        format!("{} exists; pass --force to overwrite it", p.display()),
                    ));
                }
            }
            let password = std::env::var(PASSWORD_VAR).ok().filter(|p| !p.is_empty());
            let encrypted = password.is_some();
            let kp = archive::generate_key(password).map_err(usage)?;
            write_private(&secret, kp.secret.as_bytes())?;
            std::fs::write(&public, kp.public.as_bytes())
                .map_err(|e| (exit::USAGE, format!("{}: {e}", public.display())))?;
            outln!(
                "key {}: secret key {} ({}), public key {} (give it to those who install your packs)",
                kp.id,
                secret.display(),
                if encrypted {
                    "encrypted with FIXBOOK_KEY_PASSWORD"
                } else {
                    "not encrypted: keep it safe, or set FIXBOOK_KEY_PASSWORD to protect it"
                },
                public.display()
            );
            Ok(exit::OK)
        }
        PackCommand::Inspect { file } => {
            let a = Archive::open(file).map_err(usage)?;
            let trust = trust(keys, allow_unsigned)?;
            let trusted = a.check_trust(&trust);
            let engine = a.check_engine();
            if json {
                print_json(&fixbook::answer::ArchiveInspection {
                    manifest: a.manifest.clone(),
                    signatures: a.signatures.clone(),
                    sha256: a.sha256.clone(),
                    trusted: trusted.as_ref().ok().cloned(),
                    trust_error: trusted.as_ref().err().map(ToString::to_string),
                    engine_error: engine.as_ref().err().map(ToString::to_string),
                });
            } else {
                let m = &a.manifest;
                outln!(
                    "{} {}  ({} files, built with fixbook {})",
                    s.bold(&m.id),
                    m.version,
                    m.files.len(),
                    m.built_with
                );
                outln!(
                    "    needs fixbook: {}",
                    m.min_engine_version.as_deref().unwrap_or("any")
                );
                outln!(
                    "    tests: {} passed, {} failed, {} todo",
                    m.tests.passed,
                    m.tests.failed,
                    m.tests.todo
                );
                for sig in &a.signatures {
                    outln!(
                        "    signature: key {} ({})",
                        sig.key_id,
                        sig.trusted_comment
                    );
                }
                match &trusted {
                    Ok(who) if who.is_empty() => outln!("    trust: unsigned, allowed"),
                    Ok(who) => outln!("    trust: signed by {}", who.join(", ")),
                    Err(e) => outln!("    trust: refused: {e}"),
                }
                if let Err(e) = &engine {
                    outln!("    engine: {e}");
                }
            }
            Ok(if trusted.is_ok() && engine.is_ok() {
                exit::OK
            } else {
                exit::NO_MATCH
            })
        }
    }
}

fn sha(bytes: &[u8]) -> String {
    match Archive::from_bytes("", bytes) {
        Ok(a) => a.sha256,
        Err(_) => String::new(),
    }
}

fn absolute(label: &str) -> String {
    std::path::absolute(label).map_or_else(|_| label.to_owned(), |p| p.display().to_string())
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), (u8, String)> {
    use std::io::Write as _;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        o.mode(0o600);
    }
    o.open(path)
        .and_then(|mut f| f.write_all(bytes))
        .map_err(|e| (exit::USAGE, format!("{}: {e}", path.display())))
}

fn install(
    f: &PackFolder,
    a: &Archive,
    trust: &Trust,
    opts: &InstallOptions,
    json: bool,
) -> Result<u8, (u8, String)> {
    let out = f.install(a, trust, opts).map_err(usage)?;
    if json {
        print_json(&out);
    } else {
        let i = &out.installed;
        let verb = match &out.replaced {
            Some(old) => format!("replaced {old} with"),
            None => "installed".into(),
        };
        outln!(
            "{verb} {} {} in {} ({})",
            i.id,
            i.version,
            i.path.display(),
            if i.signed_by.is_empty() {
                "unsigned, allowed by --allow-unsigned".to_owned()
            } else {
                format!("signed by {}", i.signed_by.join(", "))
            }
        );
    }
    Ok(exit::OK)
}
