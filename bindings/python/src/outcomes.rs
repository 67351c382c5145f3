//! The outcome store from Python: `Engine(outcomes=…)`, `Engine.feedback`, `Engine.gaps`.
//!
//! Functions over an [`EngineCore`], so that the engine class keeps one `#[pymethods]`
//! block; `python/fixbook/__init__.py` exposes them as methods of `fixbook.Engine`.

use std::path::PathBuf;

use pyo3::prelude::*;

use fixbook::outcomes::{draft, parse_time, Feedback, GapsQuery, Resolution};

use crate::engine::EngineCore;
use crate::errors::EngineError;

/// Records whether `entry` (`pack/entry`) solved a problem; `outcome` is `"resolved"` or
/// `"not-resolved"`. Returns the row id; the row is committed when this returns.
#[pyfunction]
#[pyo3(signature = (core, entry, outcome, text=None, ticket=None))]
pub fn feedback(
    py: Python<'_>,
    core: &EngineCore,
    entry: &str,
    outcome: &str,
    text: Option<String>,
    ticket: Option<String>,
) -> PyResult<i64> {
    let resolution: Resolution = outcome.parse().map_err(EngineError)?;
    let mut fb = Feedback::new(entry, resolution, "python");
    fb.text = text;
    fb.ticket = ticket;
    let id = py
        .detach(|| core.engine().feedback(&fb))
        .map_err(EngineError)?;
    Ok(id)
}

/// The content gaps as JSON (`{"gaps": [...], "draft": {...}}`): texts that matched
/// nothing since `since` (`YYYY-MM-DD[THH:MM:SSZ]`), grouped into templates, at most `limit`;
/// with `draft`, a draft pack for them is written into that folder.
#[pyfunction]
#[pyo3(signature = (core, since=None, limit=None, draft=None))]
pub fn gaps(
    py: Python<'_>,
    core: &EngineCore,
    since: Option<&str>,
    limit: Option<usize>,
    draft: Option<PathBuf>,
) -> PyResult<String> {
    let since = since.map(parse_time).transpose().map_err(EngineError)?;
    py.detach(|| -> fixbook::Result<String> {
        let gaps = core.engine().gaps(&GapsQuery { since, limit })?;
        let mut v = serde_json::json!({ "gaps": gaps });
        if let Some(dir) = &draft {
            let d = draft::draft(&gaps, dir)?;
            v["draft"] = serde_json::json!({
                "dir": d.dir,
                "pack": d.pack,
                "entries": d.entries.iter().map(|(id, _)| id).collect::<Vec<_>>(),
            });
        }
        Ok(v.to_string())
    })
    .map_err(|e| EngineError(e).into())
}

/// Adds the functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(feedback, m)?)?;
    m.add_function(wrap_pyfunction!(gaps, m)?)?;
    Ok(())
}
