//! `fixbook._fixbook`: the native half of the `fixbook` Python package.
//!
//! A thin door onto the `fixbook` engine: [`engine::EngineCore`] converts arguments,
//! releases the GIL while the engine works and answers with [`engine::DiagnosisCore`], the
//! engine's own structure, converted to Python data only when read; [`errors`] holds the
//! exception classes and the one mapping from engine errors to them. The typed result
//! classes live in Python (`python/fixbook/_model.py`), built from that data.

mod batch;
mod engine;
mod errors;
mod facts;
mod outcomes;

use pyo3::prelude::*;

/// The native module. Import `fixbook`, not this.
#[pymodule]
fn _fixbook(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ENGINE_VERSION", fixbook::VERSION)?;
    m.add("DEFAULT_LIMIT", fixbook::DEFAULT_LIMIT)?;
    m.add_class::<engine::EngineCore>()?;
    m.add_class::<engine::DiagnosisCore>()?;
    m.add_class::<batch::ArrowResult>()?;
    m.add_function(wrap_pyfunction!(batch::diagnose_many, m)?)?;
    m.add_function(wrap_pyfunction!(batch::diagnose_arrow, m)?)?;
    errors::register(m)?;
    outcomes::register(m)?;
    Ok(())
}
