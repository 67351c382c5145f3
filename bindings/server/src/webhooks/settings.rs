//! The `[webhooks.<source>]` sections of the config file, and their resolution at start-up
//! (secrets read from the environment once; a missing variable or credential stops the
//! server with a message, rather than failing every delivery later).
//!
//! ```toml
//! [webhooks.django-helpdesk]
//! writeback_url = "http://127.0.0.1:8000"       # the helpdesk's base URL
//! username_env = "FIXBOOK_HELPDESK_USER"
//! password_env = "FIXBOOK_HELPDESK_PASSWORD"
//! secret_env = "FIXBOOK_HELPDESK_SECRET"        # optional: require ?secret=… on the URL
//! min_confidence = 0.5                          # optional: no note below it
//! template = """fixbook: {title} ({confidence})…"""  # optional: see note.rs
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::Source;
use crate::config::ConfigError;

/// One `[webhooks.<source>]` section as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// The helpdesk's base URL for the write-back (GitHub: default `https://api.github.com`;
    /// generic: the URL the note is posted to).
    pub writeback_url: Option<String>,
    /// Environment variable holding the user name (django-helpdesk: an admin user; Zendesk,
    /// Jira: the agent's e-mail address).
    pub username_env: Option<String>,
    /// Environment variable holding the password (django-helpdesk).
    pub password_env: Option<String>,
    /// Environment variable holding an API token (Zendesk, Jira, GitHub, Freshdesk, generic).
    pub token_env: Option<String>,
    /// Environment variable holding the signing or shared secret; when set, deliveries
    /// without a valid signature are refused (401).
    pub secret_env: Option<String>,
    /// Header carrying the shared secret (django-helpdesk, Freshdesk, generic); default
    /// `X-Fixbook-Webhook-Secret`. The `secret` query parameter is accepted too.
    pub secret_header: Option<String>,
    /// The note's template (placeholders in `docs/server.md`); default: the built-in note.
    pub template: Option<String>,
    /// Lowest confidence (0 to 1) of the best match for a note to be written; default 0
    /// (every match the engine returns).
    pub min_confidence: Option<f32>,
    /// Largest age of a signed timestamp (Zendesk), in seconds; default 300.
    pub tolerance_secs: Option<u64>,
    /// Attempts at diagnosing and writing back before giving up; default 6.
    pub max_attempts: Option<u32>,
    /// First retry delay in milliseconds, doubled at each attempt (capped at 60 s);
    /// default 500.
    pub retry_base_ms: Option<u64>,
}

/// A source's settings in force.
#[derive(Clone)]
pub struct SourceSettings {
    /// The source.
    pub source: Source,
    /// Base URL for the write-back, without a trailing `/`.
    pub writeback_url: String,
    /// User name for basic authentication.
    pub username: Option<String>,
    /// Password for basic authentication.
    pub password: Option<String>,
    /// API token.
    pub token: Option<String>,
    /// The signing or shared secret.
    pub secret: Option<Vec<u8>>,
    /// The shared-secret header (lower case).
    pub secret_header: String,
    /// The note template.
    pub template: Option<String>,
    /// Lowest confidence for a note.
    pub min_confidence: f32,
    /// Largest signed-timestamp age.
    pub tolerance_secs: u64,
    /// Attempts before giving up.
    pub max_attempts: u32,
    /// First retry delay.
    pub retry_base: Duration,
}

impl std::fmt::Debug for SourceSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceSettings")
            .field("source", &self.source)
            .field("writeback_url", &self.writeback_url)
            .field("secret", &self.secret.is_some())
            .finish_non_exhaustive()
    }
}

/// Every configured source.
#[derive(Debug, Clone, Default)]
pub struct WebhookSettings {
    /// The sources, by source.
    pub sources: BTreeMap<Source, SourceSettings>,
}

/// The default shared-secret header.
pub const DEFAULT_SECRET_HEADER: &str = "x-fixbook-webhook-secret";

impl WebhookSettings {
    /// Resolves the `[webhooks.*]` sections: known source names, credentials each source's
    /// write-back needs, secrets read from the environment.
    pub fn resolve(
        sections: &BTreeMap<String, WebhookConfig>,
        path: &Path,
    ) -> Result<WebhookSettings, ConfigError> {
        let mut sources = BTreeMap::new();
        for (name, c) in sections {
            let invalid = |message: String| ConfigError::Invalid {
                path: path.to_owned(),
                message: format!("[webhooks.{name}]: {message}"),
            };
            let Some(source) = Source::from_name(name) else {
                let known: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
                return Err(invalid(format!(
                    "no adapter for `{name}` (known: {})",
                    known.join(", ")
                )));
            };
            let env = |var: &Option<String>, what: &str| -> Result<Option<String>, ConfigError> {
                match var {
                    None => Ok(None),
                    Some(v) => match std::env::var(v) {
                        Ok(s) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
                        _ => Err(invalid(format!(
                            "{what}: environment variable {v} is not set (or empty, or not UTF-8)"
                        ))),
                    },
                }
            };
            let username = env(&c.username_env, "username_env")?;
            let password = env(&c.password_env, "password_env")?;
            let token = env(&c.token_env, "token_env")?;
            let secret = env(&c.secret_env, "secret_env")?.map(String::into_bytes);
            let writeback_url = match (&c.writeback_url, source) {
                (Some(u), _) => u.trim().trim_end_matches('/').to_owned(),
                (None, Source::Github) => "https://api.github.com".to_owned(),
                (None, _) => {
                    return Err(invalid(
                        "writeback_url is required (the helpdesk's base URL)".into(),
                    ))
                }
            };
            if !(writeback_url.starts_with("http://") || writeback_url.starts_with("https://")) {
                return Err(invalid(format!(
                    "writeback_url `{writeback_url}` must start with http:// or https://"
                )));
            }
            let needs = |ok: bool, what: &str| {
                if ok {
                    Ok(())
                } else {
                    Err(invalid(format!("the write-back needs {what}")))
                }
            };
            match source {
                Source::DjangoHelpdesk => needs(
                    username.is_some() && password.is_some(),
                    "username_env and password_env (an admin user of the helpdesk)",
                )?,
                Source::Zendesk | Source::Jira => needs(
                    username.is_some() && token.is_some(),
                    "username_env (the agent's e-mail) and token_env (an API token)",
                )?,
                Source::Github | Source::Freshdesk => needs(token.is_some(), "token_env")?,
                Source::Generic => {}
            }
            let min_confidence = c.min_confidence.unwrap_or(0.0);
            if !(0.0..=1.0).contains(&min_confidence) {
                return Err(invalid("min_confidence must be between 0 and 1".into()));
            }
            let max_attempts = c.max_attempts.unwrap_or(6);
            if max_attempts == 0 {
                return Err(invalid("max_attempts must be at least 1".into()));
            }
            if let Some(t) = &c.template {
                super::note::check_template(t).map_err(|m| invalid(format!("template: {m}")))?;
            }
            sources.insert(
                source,
                SourceSettings {
                    source,
                    writeback_url,
                    username,
                    password,
                    token,
                    secret,
                    secret_header: c
                        .secret_header
                        .as_deref()
                        .unwrap_or(DEFAULT_SECRET_HEADER)
                        .to_ascii_lowercase(),
                    template: c.template.clone(),
                    min_confidence,
                    tolerance_secs: c.tolerance_secs.unwrap_or(300),
                    max_attempts,
                    retry_base: Duration::from_millis(c.retry_base_ms.unwrap_or(500).max(1)),
                },
            );
        }
        Ok(WebhookSettings { sources })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WebhookSettings, String> {
        let c = crate::config::Config::from_toml(text)?;
        WebhookSettings::resolve(&c.webhooks, Path::new("x.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn sections_need_a_known_source_and_credentials() {
        let e = parse("[webhooks.zendes]\nwriteback_url = \"https://x\"\n").unwrap_err();
        assert!(e.contains("no adapter for `zendes`"), "{e}");
        let e = parse("[webhooks.django-helpdesk]\nwriteback_url = \"http://h\"\n").unwrap_err();
        assert!(e.contains("username_env and password_env"), "{e}");
        let e = parse(
            "[webhooks.django-helpdesk]\nwriteback_url = \"http://h\"\n\
             username_env = \"FIXBOOK_TEST_SURELY_UNSET_USER\"\npassword_env = \"X\"\n",
        )
        .unwrap_err();
        assert!(
            e.contains("FIXBOOK_TEST_SURELY_UNSET_USER is not set"),
            "{e}"
        );
        let e = parse("[webhooks.generic]\nwriteback_url = \"http://h\"\nsecret = \"x\"\n")
            .unwrap_err();
        assert!(e.contains("secret"), "{e}");
        let s = parse("[webhooks.generic]\nwriteback_url = \"http://h/notes/\"\n").unwrap();
        assert_eq!(s.sources[&Source::Generic].writeback_url, "http://h/notes");
    }
}
