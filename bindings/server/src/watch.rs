//! `--watch`: reload when a pack file changes (notify, debounced).

use std::path::PathBuf;
use std::time::Duration;

use notify::RecursiveMode;
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};

use crate::state::AppState;

/// How long the files must be quiet before a reload (an editor's save is several events).
pub const DEBOUNCE: Duration = Duration::from_millis(300);

/// A running watcher; dropping it stops watching.
pub struct Watcher {
    _debouncer: Debouncer<notify::RecommendedWatcher>,
    /// The folders watched.
    pub dirs: Vec<PathBuf>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher").field("dirs", &self.dirs).finish()
    }
}

/// Watches `dirs` (recursively) and reloads the state's engine after each burst of changes.
/// Folders that do not exist are skipped.
pub fn watch(state: AppState, dirs: &[PathBuf]) -> Result<Watcher, String> {
    let mut debouncer = new_debouncer(DEBOUNCE, move |res: DebounceEventResult| match res {
        Ok(events) if !events.is_empty() => {
            // notify's own thread: blocking here is fine, and reloads run one at a time
            let _ = state.reload_blocking("watch");
        }
        Ok(_) => {}
        Err(e) => tracing::warn!("watching packs: {e}"),
    })
    .map_err(|e| format!("cannot watch pack folders: {e}"))?;
    let mut watched = Vec::new();
    for d in dirs {
        if !d.exists() {
            continue;
        }
        debouncer
            .watcher()
            .watch(d, RecursiveMode::Recursive)
            .map_err(|e| format!("cannot watch {}: {e}", d.display()))?;
        watched.push(d.clone());
    }
    Ok(Watcher {
        _debouncer: debouncer,
        dirs: watched,
    })
}
