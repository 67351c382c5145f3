//! Facts from a Python mapping: `{"user.provisioned": False, "retries": 3, ...}`.
//!
//! Only the Python-to-Rust value conversion lives here; whether a value fits the fact's
//! declared type is the engine's decision (it raises `FactError` naming the declared type).

use std::collections::BTreeMap;

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};

use fixbook::FactTypeError;
use fixbook::{Engine, FactValue};

use crate::errors::EngineError;

/// Converts a mapping of fact name → `bool | int | float | str | list[str]`.
pub fn from_mapping(
    engine: &Engine,
    facts: &Bound<'_, PyAny>,
) -> PyResult<BTreeMap<String, FactValue>> {
    let mapping = facts.cast::<PyMapping>().map_err(|_| {
        PyTypeError::new_err(format!(
            "facts must be a mapping of fact name to value, not {}",
            type_name(facts)
        ))
    })?;
    let mut out = BTreeMap::new();
    for item in mapping.items()?.iter() {
        let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
        let name: String = key.extract().map_err(|_| {
            PyTypeError::new_err(format!("fact names must be str, not {}", type_name(&key)))
        })?;
        let v = value_from_py(&value).map_err(|got| {
            // the engine's wording, as for every other fact error
            let decl = engine.fact(&name);
            let e = FactTypeError::unsupported(&name, decl.as_ref(), &got);
            PyErr::from(EngineError(fixbook::Error::from(e)))
        })?;
        out.insert(name, v);
    }
    Ok(out)
}

/// One value. Bool is tested before int: Python's `bool` is an `int` subclass.
/// On failure, says what was given.
fn value_from_py(v: &Bound<'_, PyAny>) -> Result<FactValue, String> {
    if let Ok(b) = v.cast::<PyBool>() {
        return Ok(FactValue::Bool(b.is_true()));
    }
    if v.is_instance_of::<PyInt>() {
        return v
            .extract::<i64>()
            .map(FactValue::Int)
            .map_err(|_| format!("int {} (out of the 64-bit range)", repr(v)));
    }
    if let Ok(f) = v.cast::<PyFloat>() {
        return Ok(FactValue::Float(f.value()));
    }
    if let Ok(s) = v.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| FactValue::Str(s.into_owned()))
            .map_err(|_| "a str that is not valid Unicode (lone surrogate)".to_owned());
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut items = Vec::new();
        for item in v.try_iter().map_err(|_| type_name(v))? {
            let item = item.map_err(|_| type_name(v))?;
            match item.cast::<PyString>().ok().and_then(|s| s.to_cow().ok()) {
                Some(s) => items.push(s.into_owned()),
                None => {
                    return Err(format!(
                        "a list holding {} (lists hold str only)",
                        type_name(&item)
                    ))
                }
            }
        }
        return Ok(FactValue::List(items));
    }
    Err(type_name(v))
}

/// `dict`, `NoneType`, ... for messages.
fn type_name(v: &Bound<'_, PyAny>) -> String {
    v.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

fn repr(v: &Bound<'_, PyAny>) -> String {
    v.repr().map(|r| r.to_string()).unwrap_or_default()
}
