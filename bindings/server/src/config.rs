//! The server's configuration file (TOML, `fixbook serve --config FILE`).
//!
//! ```toml
//! listen = "127.0.0.1:7340"
//!
//! [[keys]]
//! name = "helpdesk"                 # shown in logs, never the key itself
//! key_env = "FIXBOOK_KEY_HELPDESK"  # or key = "…", or key_file = "/etc/fixbook/helpdesk.key"
//! scopes = ["search", "diagnose", "read"]
//!
//! [limits]
//! max_body_bytes = 4194304
//! max_text_bytes = 1048576
//! max_batch_items = 100
//! max_concurrency = 8
//! request_timeout_ms = 10000
//! header_timeout_ms = 10000
//!
//! [packs]
//! dirs = ["/etc/fixbook/packs"]
//!
//! [outcomes]
//! path = "/var/lib/fixbook/outcomes.db"
//! ```
//!
//! Every key is optional; unknown keys are refused (a typo must not silently open a door).
//! `docs/server.md` is the reference.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::auth::{Key, Keys, Scope};

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:7340";

/// A configuration problem, naming the file and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys or values of the wrong type.
    #[error("{path}: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message, with line and column.
        message: String,
    },
    /// A value that parses but cannot be used.
    #[error("{path}: {message}")]
    Invalid {
        /// The file (empty when the problem is in command-line options).
        path: PathBuf,
        /// What is wrong and how to fix it.
        message: String,
    },
}

/// The whole configuration file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (`HOST:PORT`; port 0 picks a free one). Default
    /// [`DEFAULT_LISTEN`]; `--listen` overrides it.
    pub listen: Option<String>,
    /// API keys. With none, every route is open (and only a loopback address is allowed
    /// unless `--allow-open-network` is given).
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    /// Limits on requests and engine work.
    #[serde(default)]
    pub limits: LimitsConfig,
    /// Packs to load, besides those named on the command line.
    #[serde(default)]
    pub packs: PacksConfig,
    /// The outcome store (feedback and texts that matched nothing).
    #[serde(default)]
    pub outcomes: OutcomesConfig,
    // Sections added by later features (webhooks, outcomes) go here, each as its own struct.
    /// Ticketing systems, by source (`[webhooks.django-helpdesk]`, `[webhooks.zendesk]`, …):
    /// see [`crate::webhooks::settings`].
    #[serde(default)]
    pub webhooks: std::collections::BTreeMap<String, crate::webhooks::WebhookConfig>,
}

/// One API key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyConfig {
    /// A name for logs and metrics (never the secret).
    pub name: String,
    /// The key itself (prefer `key_env` or `key_file` so the config holds no secret).
    pub key: Option<String>,
    /// An environment variable holding the key.
    pub key_env: Option<String>,
    /// A file whose first line is the key.
    pub key_file: Option<PathBuf>,
    /// What the key may do (default: `search`, `diagnose`, `read`). `all` allows every scope.
    pub scopes: Option<Vec<Scope>>,
}

/// Request and work limits.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest request body, in bytes (413 above it).
    pub max_body_bytes: usize,
    /// Longest `text` of one query, in bytes (413 above it).
    pub max_text_bytes: usize,
    /// Most items in one `/v1/diagnose/batch` request (413 above it).
    pub max_batch_items: usize,
    /// Engine jobs running at once; a request finding them all busy gets 429 with
    /// `Retry-After` (nothing queues without bound). Default: twice the CPU count.
    pub max_concurrency: Option<usize>,
    /// Longest time one request may take, body reading included, in milliseconds (503
    /// `timeout` past it).
    pub request_timeout_ms: u64,
    /// Longest time a client may take to send a request's body, in milliseconds (408
    /// `request-timeout` past it: a slow client does not hold the connection's task long).
    pub body_timeout_ms: u64,
    /// Longest time a client may take to send a request's head (request line and headers),
    /// in milliseconds; past it the connection is closed (a slowloris client holds nothing).
    pub header_timeout_ms: u64,
    /// How long a shutdown waits for requests in flight, in milliseconds.
    pub shutdown_grace_ms: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_body_bytes: 4 * 1024 * 1024,
            max_text_bytes: 1024 * 1024,
            max_batch_items: 100,
            max_concurrency: None,
            request_timeout_ms: 10_000,
            body_timeout_ms: 5_000,
            header_timeout_ms: 10_000,
            shutdown_grace_ms: 10_000,
        }
    }
}

/// Packs to load.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PacksConfig {
    /// Pack folders (a pack, or a folder of packs), relative to the config file.
    pub dirs: Vec<PathBuf>,
    /// Load the packs embedded in the binary.
    pub builtin: bool,
    /// Refuse to start (or reload) when any pack has an error.
    pub strict: bool,
    /// Reload when a pack file changes (as `--watch`).
    pub watch: bool,
}

impl Default for PacksConfig {
    fn default() -> Self {
        PacksConfig {
            dirs: Vec::new(),
            builtin: true,
            strict: false,
            watch: false,
        }
    }
}

/// The outcome store: an SQLite file the server records feedback and unmatched texts in,
/// and whose resolution history reorders close matches (`docs/outcomes.md`). The store is
/// the engine's, so it stays open across reloads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutcomesConfig {
    /// The SQLite file, created if missing, relative to the config file (none: no store;
    /// `--outcomes DB` overrides it).
    pub path: Option<PathBuf>,
    /// Store texts whole as well as masked (default: masked only: e-mails, ids, addresses
    /// and times replaced by placeholders).
    pub keep_text: bool,
    /// Days rows are kept (0: forever).
    pub retention_days: u32,
}

impl Default for OutcomesConfig {
    fn default() -> Self {
        let engine = fixbook::outcomes::OutcomeOptions::default();
        OutcomesConfig {
            path: None,
            keep_text: engine.keep_text,
            retention_days: engine.retention_days,
        }
    }
}

impl OutcomesConfig {
    /// The engine's options for the store.
    pub fn options(&self) -> fixbook::outcomes::OutcomeOptions {
        fixbook::outcomes::OutcomeOptions {
            keep_text: self.keep_text,
            retention_days: self.retention_days,
        }
    }
}

/// Limits in force, resolved from [`LimitsConfig`].
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Longest query text, in bytes.
    pub max_text_bytes: usize,
    /// Most items in a batch.
    pub max_batch_items: usize,
    /// Engine jobs at once.
    pub max_concurrency: usize,
    /// Longest time for one request.
    pub request_timeout: Duration,
    /// Longest time to receive a body.
    pub body_timeout: Duration,
    /// Longest time to receive a request's head.
    pub header_timeout: Duration,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        LimitsConfig::default()
            .resolve(Path::new(""))
            .unwrap_or_else(|_| unreachable!("the default limits are valid"))
    }
}

impl LimitsConfig {
    /// Checks the values and fills in the defaults that depend on the machine.
    pub fn resolve(&self, path: &Path) -> Result<Limits, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        let limits = Limits {
            max_body_bytes: self.max_body_bytes,
            max_text_bytes: self.max_text_bytes,
            max_batch_items: self.max_batch_items,
            max_concurrency: self.max_concurrency.unwrap_or(2 * cpus),
            request_timeout: Duration::from_millis(self.request_timeout_ms),
            body_timeout: Duration::from_millis(self.body_timeout_ms),
            header_timeout: Duration::from_millis(self.header_timeout_ms),
            shutdown_grace: Duration::from_millis(self.shutdown_grace_ms),
        };
        for (name, v) in [
            ("limits.max_body_bytes", limits.max_body_bytes),
            ("limits.max_text_bytes", limits.max_text_bytes),
            ("limits.max_batch_items", limits.max_batch_items),
            ("limits.max_concurrency", limits.max_concurrency),
            (
                "limits.request_timeout_ms",
                self.request_timeout_ms as usize,
            ),
            ("limits.body_timeout_ms", self.body_timeout_ms as usize),
            ("limits.header_timeout_ms", self.header_timeout_ms as usize),
        ] {
            if v == 0 {
                return Err(invalid(format!("{name} must be at least 1")));
            }
        }
        Ok(limits)
    }
}

impl Config {
    /// Reads and parses a configuration file.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Config::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        for d in &mut config.packs.dirs {
            if d.is_relative() {
                *d = base.join(&*d);
            }
        }
        if let Some(db) = &mut config.outcomes.path {
            if db.is_relative() {
                *db = base.join(&*db);
            }
        }
        for k in &mut config.keys {
            if let Some(f) = &mut k.key_file {
                if f.is_relative() {
                    *f = base.join(&*f);
                }
            }
        }
        Ok(config)
    }

    /// Parses configuration text; the error carries the line and column.
    pub fn from_toml(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// The keys, with their secrets read from the config, the environment or key files.
    pub fn resolve_keys(&self, path: &Path) -> Result<Keys, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid {
            path: path.to_owned(),
            message,
        };
        let mut keys = Vec::new();
        for k in &self.keys {
            let sources = [k.key.is_some(), k.key_env.is_some(), k.key_file.is_some()];
            if sources.iter().filter(|&&s| s).count() != 1 {
                return Err(invalid(format!(
                    "key `{}`: give exactly one of key, key_env, key_file",
                    k.name
                )));
            }
            let secret = if let Some(s) = &k.key {
                s.clone()
            } else if let Some(var) = &k.key_env {
                std::env::var(var).map_err(|_| {
                    invalid(format!(
                        "key `{}`: environment variable {var} is not set (or not UTF-8)",
                        k.name
                    ))
                })?
            } else if let Some(file) = &k.key_file {
                let text = std::fs::read_to_string(file)
                    .map_err(|e| invalid(format!("key `{}`: {}: {e}", k.name, file.display())))?;
                text.lines().next().unwrap_or("").to_owned()
            } else {
                unreachable!("one source is set")
            };
            let secret = secret.trim().to_owned();
            if secret.len() < 16 {
                return Err(invalid(format!(
                    "key `{}`: a key must be at least 16 characters (e.g. `openssl rand -hex 24`)",
                    k.name
                )));
            }
            if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(invalid(format!(
                    "key `{}`: a key cannot hold spaces or control characters",
                    k.name
                )));
            }
            let scopes = k.scopes.clone().unwrap_or_else(|| Scope::DEFAULT.to_vec());
            if scopes.is_empty() {
                return Err(invalid(format!(
                    "key `{}`: scopes is empty, so the key could do nothing",
                    k.name
                )));
            }
            keys.push(Key::new(k.name.clone(), secret, scopes));
        }
        Ok(Keys::new(keys))
    }
}

/// Whether every address `listen` names is a loopback address; `Err` when it is not a
/// `HOST:PORT` that resolves.
pub async fn resolve_listen(listen: &str) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(listen)
        .await
        .map_err(|e| format!("--listen {listen}: {e} (write HOST:PORT, e.g. 127.0.0.1:7340)"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!(
            "--listen {listen}: the name resolves to no address"
        ));
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let e =
            Config::from_toml("listen = \"127.0.0.1:1\"\n[limits]\nmax_body = 3\n").unwrap_err();
        assert!(e.contains("max_body"), "{e}");
        assert!(e.contains("line 3"), "{e}");
    }

    #[test]
    fn a_key_needs_one_source_and_some_length() {
        let c = Config::from_toml("[[keys]]\nname = \"a\"\nkey = \"short\"\n").unwrap();
        let e = c.resolve_keys(Path::new("x.toml")).unwrap_err().to_string();
        assert!(e.contains("at least 16"), "{e}");
        let c = Config::from_toml(
            "[[keys]]\nname = \"a\"\nkey = \"0123456789abcdef\"\nkey_env = \"X\"\n",
        )
        .unwrap();
        let e = c.resolve_keys(Path::new("x.toml")).unwrap_err().to_string();
        assert!(e.contains("exactly one"), "{e}");
    }

    #[test]
    fn zero_limits_are_refused() {
        let c = Config::from_toml("[limits]\nmax_concurrency = 0\n").unwrap();
        let e = c
            .limits
            .resolve(Path::new("x.toml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("max_concurrency"), "{e}");
    }
}
