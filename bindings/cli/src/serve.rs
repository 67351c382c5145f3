//! `fixbook serve`: the arguments and the hand-over to the `fixbook-server` library.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use fixbook::{Engine, EngineBuilder, PackErrorKind};
use fixbook_server::config::{Config, DEFAULT_LISTEN};
use fixbook_server::server::{ServeError, ServeOptions};
use fixbook_server::AppState;

use crate::{exit, outcomes_cmd, CliResult, Global};

/// `fixbook serve` options (pack and store options are the global ones: `--packs`,
/// `--no-builtin`, `--strict`, `--no-cache`, `--outcomes DB`, `--keep-text`,
/// `--retention-days`).
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free one). Default: the config's
    /// `listen`, else 127.0.0.1:7340. The first line printed is `listening on http://HOST:PORT`.
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Configuration file (TOML): listen, keys, limits, packs, outcomes, webhooks. See
    /// docs/server.md.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Reload when a pack file changes (also on SIGHUP and POST /v1/admin/reload, always).
    #[arg(long)]
    watch: bool,
    /// Listen on a non-loopback address even though no API key is configured: anyone who can
    /// reach the address can query and reload the server.
    #[arg(long)]
    allow_open_network: bool,
}

/// The outcome store: `--outcomes DB` with the command line's options, else the config's
/// `[outcomes]` section (`--keep-text` applies to either).
fn outcome_store(builder: EngineBuilder, g: &Global, config: &Config) -> EngineBuilder {
    if g.outcomes.outcomes.is_some() {
        return outcomes_cmd::apply(builder, &g.outcomes);
    }
    match &config.outcomes.path {
        Some(db) => {
            let mut options = config.outcomes.options();
            options.keep_text |= g.outcomes.keep_text;
            builder.outcomes(db).outcome_options(options)
        }
        None => builder,
    }
}

/// Runs the server until SIGTERM or ctrl-c.
pub fn run(g: &Global, a: &ServeArgs) -> CliResult {
    let usage = |e: &dyn std::fmt::Display| (exit::USAGE, e.to_string());
    let (config, path) = match &a.config {
        Some(p) => (Config::from_file(p).map_err(|e| usage(&e))?, p.clone()),
        None => (Config::default(), PathBuf::new()),
    };
    let limits = config.limits.resolve(&path).map_err(|e| usage(&e))?;
    let keys = config.resolve_keys(&path).map_err(|e| usage(&e))?;
    let webhooks = fixbook_server::webhooks::WebhookSettings::resolve(&config.webhooks, &path)
        .map_err(|e| usage(&e))?;
    let webhooks = fixbook_server::webhooks::Webhooks::new(webhooks).map_err(|e| usage(&e))?;
    let mut dirs = config.packs.dirs.clone();
    dirs.extend(g.packs.iter().cloned());
    let engine = outcome_store(Engine::builder(), g, &config)
        .builtin(!g.no_builtin && config.packs.builtin)
        .pack_path_from_env()
        .pack_dirs(dirs.iter().cloned())
        .strict(g.strict || config.packs.strict)
        .archive_trust(crate::pack_cmd::trust(&g.trusted_keys, g.allow_unsigned)?)
        .index_cache(if g.no_cache {
            None
        } else {
            fixbook::default_cache_dir()
        })
        .build()
        .map_err(|e| (outcomes_cmd::build_error_code(e.kind()), e.to_string()))?;
    // a named folder that holds no pack is fatal, as for every other command
    let named: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    for e in engine.skipped() {
        if e.kind == PackErrorKind::Io && e.line == 0 && named.contains(&e.path) {
            return Err((
                exit::PACKS,
                format!("{}: {} (fix: {})", e.path, e.message, e.hint),
            ));
        }
        eprintln!("fixbook: warning: skipped: {e}");
    }
    let mut watch = Vec::new();
    if a.watch || config.packs.watch {
        watch = dirs.clone();
        watch.extend(fixbook::default_pack_path());
    }
    let listen = a
        .listen
        .clone()
        .or_else(|| config.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_owned());
    fixbook_server::init_logging();
    let state = AppState::new(Arc::new(engine), config, keys, limits);
    state.install_webhooks(webhooks);
    let opts = ServeOptions {
        listen,
        allow_open_network: a.allow_open_network,
        watch,
    };
    match fixbook_server::server::serve_blocking(state, opts) {
        Ok(()) => Ok(exit::OK),
        Err(e @ ServeError::Listen(_)) => Err((exit::USAGE, e.to_string())),
        Err(e) => Err((exit::USAGE, e.to_string())),
    }
}
