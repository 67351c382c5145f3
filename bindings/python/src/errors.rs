//! The exception classes, and the one mapping from engine errors to them.
//!
//! ```text
//! Exception
//! └── FixbookError
//!     ├── PackError          .errors: list[PackErrorDetail]
//!     ├── QueryError         (also a ValueError)
//!     │   └── FactError
//!     ├── SearchIndexError
//!     └── OutcomesError      the outcome store (SQLite file) failed
//! OSError (FileNotFoundError, PermissionError, ...)   a file or folder could not be read
//! UserWarning
//! └── PackWarning            a pack was skipped (lenient load)
//! ```

use std::path::Path;

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyOSError, PyUserWarning, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

use fixbook::ErrorKind;

create_exception!(
    fixbook,
    FixbookError,
    PyException,
    "Base class of every error fixbook raises (I/O problems are OSError)."
);
create_exception!(
    fixbook,
    PackError,
    FixbookError,
    "Packs failed to load or validate.\n\n`errors` lists every problem found (PackErrorDetail), each \
     with the file, line, column, what is wrong and how to fix it."
);
create_exception!(
    fixbook,
    SearchIndexError,
    FixbookError,
    "The full-text index could not be built."
);
create_exception!(
    fixbook,
    OutcomesError,
    FixbookError,
    "The outcome store (an SQLite file) could not be opened, read or written: not a database, \
     damaged, another program's, or locked too long."
);
create_exception!(
    fixbook,
    PackWarning,
    PyUserWarning,
    "A pack was skipped because of errors (lenient load); the other packs are loaded."
);

const QUERY_ERROR_DOC: &str = "A query is invalid: its structure or its facts, never its text. \
     Also a ValueError.";
const FACT_ERROR_DOC: &str = "A fact value does not fit the fact's declared type (or is not a \
     bool, int, float, str or list of str). The message names the fact and the declared type.";

static QUERY_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static FACT_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// A class with several bases, as `class name(*bases)` in module `fixbook` would make it.
/// (`create_exception!` takes one base; these are both a `FixbookError` and a `ValueError`.)
fn new_class(
    py: Python<'_>,
    name: &str,
    doc: &str,
    bases: Bound<'_, PyTuple>,
) -> PyResult<Py<PyType>> {
    let namespace = PyDict::new(py);
    namespace.set_item("__module__", "fixbook")?;
    namespace.set_item("__doc__", doc)?;
    let class = py.get_type::<PyType>().call1((name, bases, namespace))?;
    Ok(class.cast_into::<PyType>()?.unbind())
}

/// `fixbook.QueryError`: a `FixbookError` and a `ValueError`.
pub fn query_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    QUERY_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(
                py,
                [py.get_type::<FixbookError>(), py.get_type::<PyValueError>()],
            )?;
            new_class(py, "QueryError", QUERY_ERROR_DOC, bases)
        })
        .map(|t| t.bind(py).clone())
}

/// `fixbook.FactError`: a `QueryError` about one fact.
pub fn fact_error(py: Python<'_>) -> PyResult<Bound<'_, PyType>> {
    FACT_ERROR
        .get_or_try_init(py, || {
            let bases = PyTuple::new(py, [query_error(py)?])?;
            new_class(py, "FactError", FACT_ERROR_DOC, bases)
        })
        .map(|t| t.bind(py).clone())
}

/// A `FactError` with `message`.
pub fn new_fact_error(py: Python<'_>, message: String) -> PyErr {
    match fact_error(py) {
        Ok(class) => PyErr::from_type(class, message),
        Err(e) => e,
    }
}

/// One problem in a pack: where it is, what is wrong, how to fix it.
#[pyclass(frozen, eq, module = "fixbook")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackErrorDetail {
    /// Stable kind: `toml-syntax`, `unknown-key`, `bad-regex`, `script-compile`, ...
    #[pyo3(get)]
    kind: String,
    /// The file, as the user knows it (a path, or `builtin:<pack>/<file>`).
    #[pyo3(get)]
    path: String,
    /// Line, 1-based (0 when the problem concerns the whole file or folder).
    #[pyo3(get)]
    line: usize,
    /// Column in characters, 1-based (0 when unknown).
    #[pyo3(get)]
    column: usize,
    /// What is wrong.
    #[pyo3(get)]
    message: String,
    /// How to fix it.
    #[pyo3(get)]
    hint: String,
    /// The entry it concerns (`pack/entry`), if any.
    #[pyo3(get)]
    entry: Option<String>,
    /// What `str()` shows: `path:line:column: message (fix: hint)`.
    display: String,
}

impl From<&fixbook::PackError> for PackErrorDetail {
    fn from(e: &fixbook::PackError) -> Self {
        PackErrorDetail {
            kind: e.kind.as_str().to_owned(),
            path: e.path.clone(),
            line: e.line,
            column: e.column,
            message: e.message.clone(),
            hint: e.hint.clone(),
            entry: e.entry.clone(),
            display: e.to_string(),
        }
    }
}

#[pymethods]
impl PackErrorDetail {
    fn __repr__(&self) -> String {
        format!(
            "PackErrorDetail(kind={:?}, path={:?}, line={}, column={}, message={:?})",
            self.kind, self.path, self.line, self.column, self.message
        )
    }

    fn __str__(&self) -> &str {
        &self.display
    }

    /// The fields as a dict (`kind`, `path`, `line`, `column`, `message`, `hint`, `entry`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("kind", &self.kind)?;
        d.set_item("path", &self.path)?;
        d.set_item("line", self.line)?;
        d.set_item("column", self.column)?;
        d.set_item("message", &self.message)?;
        d.set_item("hint", &self.hint)?;
        d.set_item("entry", &self.entry)?;
        Ok(d)
    }
}

/// An engine error on its way to Python; `?` turns it into the right exception.
pub struct EngineError(pub fixbook::Error);

impl From<fixbook::Error> for EngineError {
    fn from(e: fixbook::Error) -> Self {
        EngineError(e)
    }
}

impl From<EngineError> for PyErr {
    fn from(e: EngineError) -> PyErr {
        Python::attach(|py| to_pyerr(py, e.0))
    }
}

/// The one mapping from engine errors to Python exceptions, by [`fixbook::Error::kind`].
fn to_pyerr(py: Python<'_>, err: fixbook::Error) -> PyErr {
    let message = err.to_string();
    match err.kind() {
        ErrorKind::Pack => {
            let details: Vec<PackErrorDetail> = err.pack_errors().iter().map(Into::into).collect();
            let e = PackError::new_err(message);
            if let Err(failed) = e.value(py).setattr("errors", details) {
                return failed;
            }
            e
        }
        ErrorKind::Fact => new_fact_error(py, message),
        ErrorKind::Query => match query_error(py) {
            Ok(class) => PyErr::from_type(class, message),
            Err(e) => e,
        },
        ErrorKind::Io => match err {
            fixbook::Error::Io { path, source } => io_error(&path, source),
            _ => PyOSError::new_err(message),
        },
        ErrorKind::Index => SearchIndexError::new_err(message),
        ErrorKind::Outcomes => OutcomesError::new_err(message),
        _ => FixbookError::new_err(message),
    }
}

/// An I/O error as `OSError(errno, strerror, filename)`: Python picks the subclass
/// (`FileNotFoundError`, `PermissionError`, ...) from the errno.
pub fn io_error(path: &Path, e: std::io::Error) -> PyErr {
    let filename = path.display().to_string();
    match e.raw_os_error() {
        Some(code) => {
            let text = e.to_string();
            // Rust appends " (os error N)"; Python shows the errno itself
            let strerror = match text.rfind(" (os error ") {
                Some(i) => text[..i].to_owned(),
                None => text,
            };
            PyOSError::new_err((code, strerror, filename))
        }
        None => PyErr::from(std::io::Error::new(e.kind(), format!("{filename}: {e}"))),
    }
}

/// Adds the exception classes to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("FixbookError", py.get_type::<FixbookError>())?;
    let pack_error = py.get_type::<PackError>();
    // a class default, so a PackError raised by hand also has `.errors`
    pack_error.setattr("errors", PyTuple::empty(py))?;
    m.add("PackError", pack_error)?;
    m.add("QueryError", query_error(py)?)?;
    m.add("FactError", fact_error(py)?)?;
    m.add("SearchIndexError", py.get_type::<SearchIndexError>())?;
    m.add("PackWarning", py.get_type::<PackWarning>())?;
    m.add("OutcomesError", py.get_type::<OutcomesError>())?;
    m.add_class::<PackErrorDetail>()?;
    Ok(())
}
