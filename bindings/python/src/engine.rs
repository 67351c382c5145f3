//! `fixbook._fixbook.EngineCore`: the engine; and `DiagnosisCore`, one of its answers.
//!
//! A diagnosis comes back as a [`DiagnosisCore`]: the engine's own structure, converted to
//! Python objects only when they are read. The typed Python classes (`fixbook.Engine`,
//! `Match`, ...) in `python/fixbook/` are built from it on first access; this side only
//! converts arguments, releases the GIL while the engine works, and maps errors. Building
//! a few dozen Python objects per answer costs more than the diagnosis itself, so a caller
//! that reads only the best match's id, or passes the answer on as JSON, does not pay it.

use std::path::PathBuf;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyString};

use fixbook::{Diagnosis, Engine, Query};

use crate::errors::{EngineError, FixbookError, PackErrorDetail};
use crate::facts;

/// The fixbook engine: loaded packs, queried from any number of threads.
///
/// Low-level: answers are JSON strings (the same JSON as `fixbook search --json`). Use
/// `fixbook.Engine`, which wraps this class and returns typed results.
#[pyclass(frozen, module = "fixbook._fixbook")]
pub struct EngineCore {
    pub(crate) engine: Engine,
}

impl EngineCore {
    /// The engine (for the functions of other modules, e.g. `outcomes`).
    pub(crate) fn engine(&self) -> &Engine {
        &self.engine
    }
}

#[pymethods]
impl EngineCore {
    /// Loads the embedded packs (unless `builtin` is false), the pack path
    /// (`FIXBOOK_PACK_PATH`, then the user's data folder; unless `pack_path` is false) and
    /// `packs` (a folder or a list of folders, each a pack or a folder of packs); with
    /// `outcomes`, opens that outcome store (an SQLite file, created if missing).
    #[new]
    #[pyo3(signature = (packs=None, builtin=true, strict=false, pack_path=true, outcomes=None, keep_text=false, retention_days=180))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        packs: Option<&Bound<'_, PyAny>>,
        builtin: bool,
        strict: bool,
        pack_path: bool,
        outcomes: Option<PathBuf>,
        keep_text: bool,
        retention_days: u32,
    ) -> PyResult<Self> {
        let dirs = pack_dirs(packs)?;
        // a folder named in `packs` must hold a pack: the engine decides, in every mode
        let mut builder = Engine::builder().builtin(builtin).strict(strict);
        if pack_path {
            builder = builder.pack_path_from_env();
        }
        let mut builder = builder.pack_dirs(dirs);
        if let Some(db) = outcomes {
            builder = builder
                .outcomes(db)
                .outcome_options(fixbook::outcomes::OutcomeOptions {
                    keep_text,
                    retention_days,
                });
        }
        let engine = py.detach(|| builder.build()).map_err(EngineError)?;
        Ok(EngineCore { engine })
    }

    /// The best `limit` matches for `text` (str or bytes), as the JSON of a diagnosis
    /// (`limit` 0 means the engine's default).
    fn search(&self, py: Python<'_>, text: &Bound<'_, PyAny>, limit: usize) -> PyResult<String> {
        let q = text_arg(text)?.limit(limit);
        let answer = py.detach(|| self.engine.diagnose(&q).map(|d| serde_json::to_string(&d)));
        answer.map_err(EngineError)?.map_err(json_error)
    }

    /// Diagnoses `text` with `facts` (a mapping of fact name to bool, int, float, str or
    /// list of str); `trace` adds the decision trace. Returns the diagnosis, unconverted.
    #[pyo3(signature = (text, facts=None, limit=0, trace=false))]
    fn diagnose(
        &self,
        py: Python<'_>,
        text: &Bound<'_, PyAny>,
        facts: Option<&Bound<'_, PyAny>>,
        limit: usize,
        trace: bool,
    ) -> PyResult<DiagnosisCore> {
        let mut q = text_arg(text)?.limit(limit);
        q.trace = trace;
        if let Some(f) = facts.filter(|f| !f.is_none()) {
            q.facts = facts::from_mapping(&self.engine, f)?;
        }
        let diagnosis = py
            .detach(|| self.engine.diagnose(&q))
            .map_err(EngineError)?;
        Ok(DiagnosisCore { diagnosis })
    }

    /// Seconds one `diagnose` of `text` takes inside Rust (the answer made and dropped), with
    /// no Python around it: what `bench_overhead.py` compares `Engine.diagnose` with, in the
    /// same process. For benchmarks only.
    fn _rust_diagnose_seconds(&self, py: Python<'_>, text: &str, limit: usize) -> f64 {
        let q = Query::new(text).limit(limit);
        py.detach(|| {
            let start = std::time::Instant::now();
            let answer = self.engine.diagnose(&q);
            drop(std::hint::black_box(answer));
            start.elapsed().as_secs_f64()
        })
    }

    /// Re-reads every pack and swaps the new set in atomically; queries running meanwhile
    /// see the old set or the new one. On failure the loaded set is kept.
    fn reload(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.engine.reload()).map_err(EngineError)?;
        Ok(())
    }

    /// The loaded packs, as a JSON list.
    fn packs(&self) -> PyResult<String> {
        to_json(&self.engine.packs())
    }

    /// An entry (`pack/entry`) as JSON, or None.
    fn entry(&self, id: &str) -> PyResult<Option<String>> {
        self.engine.entry(id).map(|e| to_json(&e)).transpose()
    }

    /// A fact's declaration as JSON, or None when no loaded pack declares it.
    fn fact(&self, name: &str) -> PyResult<Option<String>> {
        self.engine.fact(name).map(|f| to_json(&f)).transpose()
    }

    /// Problems with packs skipped at load (lenient mode).
    fn skipped(&self) -> Vec<PackErrorDetail> {
        self.engine.skipped().iter().map(Into::into).collect()
    }

    /// Every entry id, in load order.
    fn entry_ids(&self) -> Vec<String> {
        self.engine.entry_ids()
    }
}

/// One diagnosis as the engine made it; `fixbook.Diagnosis` reads it on first access.
#[pyclass(frozen, module = "fixbook._fixbook")]
pub struct DiagnosisCore {
    pub(crate) diagnosis: Diagnosis,
}

#[pymethods]
impl DiagnosisCore {
    /// The engine's JSON text of this diagnosis (the document of `fixbook search --json`).
    fn json(&self) -> PyResult<String> {
        to_json(&self.diagnosis)
    }

    /// This diagnosis as plain Python data (dicts, lists, str, int, float, bool, None) of
    /// the same shape as its JSON, made straight from the engine's structures.
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        pythonize::pythonize(py, &self.diagnosis)
            .map_err(|e| FixbookError::new_err(format!("cannot convert the answer: {e}")))
    }

    /// The number of matches.
    fn __len__(&self) -> usize {
        self.diagnosis.matches.len()
    }
}

/// `packs`: None, one path (str or os.PathLike), or an iterable of paths.
fn pack_dirs(packs: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<PathBuf>> {
    let Some(packs) = packs.filter(|p| !p.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(one) = packs.extract::<PathBuf>() {
        return Ok(vec![one]);
    }
    let not_paths = || {
        PyTypeError::new_err(format!(
            "packs must be a path (str or os.PathLike) or a list of paths, not {}",
            packs
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    };
    let mut dirs = Vec::new();
    for item in packs.try_iter().map_err(|_| not_paths())? {
        dirs.push(item?.extract::<PathBuf>().map_err(|_| not_paths())?);
    }
    Ok(dirs)
}

/// The query for `text`: a str, or bytes (`bytes`, `bytearray`) decoded by the engine
/// ([`Query::from_bytes`]: invalid UTF-8 replaced, with a note). A str holding lone
/// surrogates is not valid Unicode: its UTF-8 (surrogates kept) goes the same way.
pub(crate) fn text_arg(text: &Bound<'_, PyAny>) -> PyResult<Query> {
    if let Ok(s) = text.cast::<PyString>() {
        return Ok(match s.to_str() {
            Ok(s) => Query::new(s),
            Err(_) => {
                let raw = s.call_method1("encode", ("utf-8", "surrogatepass"))?;
                Query::from_bytes(raw.cast::<PyBytes>()?.as_bytes())
            }
        });
    }
    if let Ok(b) = text.cast::<PyBytes>() {
        return Ok(Query::from_bytes(b.as_bytes()));
    }
    if let Ok(b) = text.cast::<PyByteArray>() {
        return Ok(Query::from_bytes(&b.to_vec()));
    }
    Err(PyTypeError::new_err(format!(
        "text must be str or bytes, not {}",
        text.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default()
    )))
}

fn to_json<T: serde::Serialize>(v: &T) -> PyResult<String> {
    serde_json::to_string(v).map_err(json_error)
}

fn json_error(e: serde_json::Error) -> PyErr {
    FixbookError::new_err(format!("cannot serialise the answer: {e}"))
}
