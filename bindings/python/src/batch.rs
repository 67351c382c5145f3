//! Many diagnoses in one call: `diagnose_many` (Python sequences) and `diagnose_arrow`
//! (Arrow arrays through the Arrow C data interface).
//!
//! Arguments are converted while the GIL is held; the rows are then diagnosed in parallel
//! on rayon's pool with the GIL released. A row never fails the batch: a bad row gives
//! an error for that row only (an exception object in `diagnose_many`, the `error` field
//! in `diagnose_arrow`).

use std::collections::BTreeMap;
use std::ffi::CStr;
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, StringBuilder};
use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema};
use arrow_array::{make_array, Array, ArrayRef, StructArray};
use arrow_schema::{DataType, Field, Fields};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyList, PyTuple};
use rayon::prelude::*;

use fixbook::{Diagnosis, FactValue, Query};

use crate::engine::{text_arg, DiagnosisCore, EngineCore};
use crate::errors::{EngineError, FixbookError};
use crate::facts;

const SCHEMA_CAPSULE: &CStr = c"arrow_schema";
const ARRAY_CAPSULE: &CStr = c"arrow_array";

/// One row's query, or why it has none.
enum Row {
    Query(Query),
    /// The row's arguments were invalid.
    Invalid(PyErr),
}

/// What became of one row.
enum Outcome {
    Done(Diagnosis),
    Failed(fixbook::Error),
    Invalid(PyErr),
}

fn run(core: &EngineCore, py: Python<'_>, rows: Vec<Row>) -> Vec<Outcome> {
    // PyErr is Send: invalid rows travel through the pool untouched
    py.detach(|| {
        rows.into_par_iter()
            .map(|row| match row {
                Row::Query(q) => match core.engine.diagnose(&q) {
                    Ok(d) => Outcome::Done(d),
                    Err(e) => Outcome::Failed(e),
                },
                Row::Invalid(e) => Outcome::Invalid(e),
            })
            .collect()
    })
}

/// Diagnoses every text of `texts` (str or bytes), in parallel with the GIL released.
///
/// `facts` is None, one mapping used for every row, or a sequence of mappings (or None)
/// as long as `texts`. Returns a list as long as `texts`: for each row its diagnosis (a
/// `DiagnosisCore`), or the exception (not raised) that row gave.
#[pyfunction]
#[pyo3(signature = (core, texts, facts=None, limit=0))]
pub fn diagnose_many<'py>(
    py: Python<'py>,
    core: &EngineCore,
    texts: &Bound<'py, PyAny>,
    facts: Option<&Bound<'py, PyAny>>,
    limit: usize,
) -> PyResult<Bound<'py, PyList>> {
    let texts: Vec<Bound<'py, PyAny>> = texts
        .try_iter()
        .map_err(|_| PyTypeError::new_err("texts must be an iterable of str or bytes"))?
        .collect::<PyResult<_>>()?;
    let facts = facts.filter(|f| !f.is_none());
    // one mapping for all rows, converted once
    let shared: Option<Result<BTreeMap<String, FactValue>, PyErr>> = match facts {
        Some(f) if f.cast::<pyo3::types::PyMapping>().is_ok() => {
            Some(facts::from_mapping(&core.engine, f))
        }
        _ => None,
    };
    let per_row: Option<Vec<Bound<'py, PyAny>>> = match (facts, &shared) {
        (Some(f), None) => {
            let v: Vec<Bound<'py, PyAny>> = f
                .try_iter()
                .map_err(|_| {
                    PyTypeError::new_err(
                        "facts must be a mapping, a sequence of mappings (one per text) or None",
                    )
                })?
                .collect::<PyResult<_>>()?;
            if v.len() != texts.len() {
                return Err(PyValueError::new_err(format!(
                    "facts holds {} rows but texts holds {}: give one mapping (or None) per text",
                    v.len(),
                    texts.len()
                )));
            }
            Some(v)
        }
        _ => None,
    };
    let mut rows = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let mut q = match text_arg(text) {
            Ok(q) => q.limit(limit),
            Err(e) => {
                rows.push(Row::Invalid(e));
                continue;
            }
        };
        let row_facts = match (&shared, &per_row) {
            (Some(Ok(f)), _) => Ok(f.clone()),
            (Some(Err(e)), _) => Err(e.clone_ref(py)),
            (None, Some(v)) if !v[i].is_none() => facts::from_mapping(&core.engine, &v[i]),
            _ => Ok(BTreeMap::new()),
        };
        match row_facts {
            Ok(f) => {
                q.facts = f;
                rows.push(Row::Query(q));
            }
            Err(e) => rows.push(Row::Invalid(e)),
        }
    }
    let out = PyList::empty(py);
    for outcome in run(core, py, rows) {
        match outcome {
            Outcome::Done(diagnosis) => out.append(DiagnosisCore { diagnosis })?,
            Outcome::Failed(e) => out.append(PyErr::from(EngineError(e)).into_value(py))?,
            Outcome::Invalid(e) => out.append(e.into_value(py))?,
        }
    }
    Ok(out)
}

/// Diagnoses every row of an Arrow array of texts (utf8, large_utf8, utf8_view, binary or
/// large_binary; any object with `__arrow_c_array__`), in parallel with the GIL released.
///
/// `facts`, when given, is an Arrow string array as long as `texts`, each row a JSON object
/// of facts (or null). Returns an object exporting a struct array (`__arrow_c_array__`)
/// with the fields of [`result_fields`], one row per text.
#[pyfunction]
#[pyo3(signature = (core, texts, facts=None, limit=3))]
pub fn diagnose_arrow<'py>(
    py: Python<'py>,
    core: &EngineCore,
    texts: &Bound<'py, PyAny>,
    facts: Option<&Bound<'py, PyAny>>,
    limit: usize,
) -> PyResult<ArrowResult> {
    let texts = import_array(texts, "texts")?;
    let facts = match facts.filter(|f| !f.is_none()) {
        Some(f) => Some(import_array(f, "facts")?),
        None => None,
    };
    if let Some(f) = &facts {
        if f.len() != texts.len() {
            return Err(PyValueError::new_err(format!(
                "facts holds {} rows but texts holds {}",
                f.len(),
                texts.len()
            )));
        }
    }
    let texts = TextColumn::new(&texts)?;
    let facts = match &facts {
        Some(f) => Some(TextColumn::new(f)?),
        None => None,
    };
    let engine = &core.engine;
    // Reading the columns needs no GIL either: queries are built inside the pool.
    let rows: Vec<RowResult> = py.detach(|| {
        (0..texts.len())
            .into_par_iter()
            .map(|i| {
                let Some(q) = texts.get(i) else {
                    return RowResult::default();
                };
                let mut q = q.limit(limit);
                if let Some(raw) = facts.as_ref().and_then(|f| f.get(i)) {
                    match facts_from_json(&raw.text) {
                        Ok(f) => q.facts = f,
                        Err(message) => return RowResult::error(message),
                    }
                }
                match engine.diagnose(&q) {
                    Ok(d) => RowResult::from_diagnosis(d),
                    Err(e) => RowResult::error(e.to_string()),
                }
            })
            .collect()
    });
    let array = build_struct(rows).map_err(|e| FixbookError::new_err(e.to_string()))?;
    Ok(ArrowResult { array })
}

/// The struct array `diagnose_arrow` made, handed to pyarrow (or any Arrow library)
/// through the Arrow PyCapsule interface.
#[pyclass(frozen, module = "fixbook._fixbook")]
pub struct ArrowResult {
    array: StructArray,
}

#[pymethods]
impl ArrowResult {
    /// The Arrow PyCapsule interface: `(schema capsule, array capsule)`. A requested
    /// schema other than the array's own is refused.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_array__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let data_type = self.array.data_type().clone();
        if let Some(req) = requested_schema.filter(|r| !r.is_none()) {
            let capsule = req.cast::<PyCapsule>()?;
            let ptr = capsule.pointer_checked(Some(SCHEMA_CAPSULE))?;
            // SAFETY: a capsule named `arrow_schema` holds an FFI_ArrowSchema (the
            // interface's contract); it is only borrowed.
            let schema = unsafe { ptr.cast::<FFI_ArrowSchema>().as_ref() };
            let wanted = DataType::try_from(schema).map_err(arrow_error)?;
            if wanted != data_type {
                return Err(PyTypeError::new_err(format!(
                    "fixbook results are {data_type}, cannot give {wanted}"
                )));
            }
        }
        let schema = FFI_ArrowSchema::try_from(&data_type).map_err(arrow_error)?;
        let array = FFI_ArrowArray::new(&self.array.to_data());
        let schema = PyCapsule::new_with_value(py, schema, SCHEMA_CAPSULE)?;
        let array = PyCapsule::new_with_value(py, array, ARRAY_CAPSULE)?;
        PyTuple::new(py, [schema, array])
    }

    fn __len__(&self) -> usize {
        self.array.len()
    }
}

/// The fields of a result row, in order.
pub fn result_fields() -> Fields {
    Fields::from(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("title", DataType::Utf8, true),
        Field::new("confidence", DataType::Float64, true),
        Field::new("question", DataType::Utf8, true),
        Field::new("diagnosis", DataType::Utf8, true),
        Field::new("error", DataType::Utf8, true),
    ])
}

/// One row of the result; all `None` for a null text.
#[derive(Default)]
struct RowResult {
    id: Option<String>,
    title: Option<String>,
    confidence: Option<f64>,
    question: Option<String>,
    diagnosis: Option<String>,
    error: Option<String>,
}

impl RowResult {
    fn error(message: String) -> Self {
        RowResult {
            error: Some(message),
            ..RowResult::default()
        }
    }

    fn from_diagnosis(d: Diagnosis) -> Self {
        let json = match serde_json::to_string(&d) {
            Ok(j) => j,
            Err(e) => return RowResult::error(format!("cannot serialise the answer: {e}")),
        };
        let top = d.matches.first();
        RowResult {
            id: top.map(|m| m.id.clone()),
            title: top.map(|m| m.title.clone()),
            confidence: top.map(|m| f64::from(m.confidence)),
            question: d.questions.first().map(|q| q.fact.clone()),
            diagnosis: Some(json),
            error: None,
        }
    }
}

fn build_struct(rows: Vec<RowResult>) -> Result<StructArray, arrow_schema::ArrowError> {
    let n = rows.len();
    let mut id = StringBuilder::with_capacity(n, n * 32);
    let mut title = StringBuilder::with_capacity(n, n * 48);
    let mut confidence = Float64Builder::with_capacity(n);
    let mut question = StringBuilder::with_capacity(n, n * 16);
    let json_bytes = rows
        .iter()
        .map(|r| r.diagnosis.as_ref().map_or(0, String::len))
        .sum::<usize>();
    // a string column holds at most 2 GiB (32-bit offsets): refuse, never overflow
    if json_bytes > i32::MAX as usize {
        return Err(arrow_schema::ArrowError::InvalidArgumentError(format!(
            "the answers of these {n} rows take {json_bytes} bytes, more than one Arrow string \
             column holds (2 GiB): pass fewer rows at a time (on Spark, lower \
             spark.sql.execution.arrow.maxRecordsPerBatch)"
        )));
    }
    let mut diagnosis = StringBuilder::with_capacity(n, json_bytes);
    let mut error = StringBuilder::new();
    for r in rows {
        id.append_option(r.id);
        title.append_option(r.title);
        confidence.append_option(r.confidence);
        question.append_option(r.question);
        diagnosis.append_option(r.diagnosis);
        error.append_option(r.error);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(id.finish()),
        Arc::new(title.finish()),
        Arc::new(confidence.finish()),
        Arc::new(question.finish()),
        Arc::new(diagnosis.finish()),
        Arc::new(error.finish()),
    ];
    StructArray::try_new(result_fields(), columns, None)
}

/// Facts from one row's JSON object; the message says what is wrong.
fn facts_from_json(raw: &str) -> Result<BTreeMap<String, FactValue>, String> {
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(raw)
        .map_err(|e| format!("invalid facts: not a JSON object of facts: {e}"))?;
    let mut out = BTreeMap::new();
    for (k, v) in map {
        if v.is_null() {
            // a null in a map column means "not known": the fact is left out
            continue;
        }
        let fv = FactValue::from_json(&v).ok_or_else(|| {
            format!(
                "invalid facts: fact `{k}`: expected bool, int, float, str or a list of str, \
                 got {v}"
            )
        })?;
        out.insert(k, fv);
    }
    Ok(out)
}

/// An imported Arrow array of texts, read row by row.
enum TextColumn {
    Utf8(arrow_array::StringArray),
    LargeUtf8(arrow_array::LargeStringArray),
    Utf8View(arrow_array::StringViewArray),
    Binary(arrow_array::BinaryArray),
    LargeBinary(arrow_array::LargeBinaryArray),
}

impl TextColumn {
    fn new(a: &ArrayRef) -> PyResult<Self> {
        use arrow_array::cast::AsArray;
        Ok(match a.data_type() {
            DataType::Utf8 => TextColumn::Utf8(a.as_string::<i32>().clone()),
            DataType::LargeUtf8 => TextColumn::LargeUtf8(a.as_string::<i64>().clone()),
            DataType::Utf8View => TextColumn::Utf8View(a.as_string_view().clone()),
            DataType::Binary => TextColumn::Binary(a.as_binary::<i32>().clone()),
            DataType::LargeBinary => TextColumn::LargeBinary(a.as_binary::<i64>().clone()),
            DataType::Null => TextColumn::Utf8(arrow_array::StringArray::new_null(a.len())),
            other => {
                return Err(PyTypeError::new_err(format!(
                    "expected an Arrow array of strings or binary, got {other}"
                )))
            }
        })
    }

    fn len(&self) -> usize {
        match self {
            TextColumn::Utf8(a) => a.len(),
            TextColumn::LargeUtf8(a) => a.len(),
            TextColumn::Utf8View(a) => a.len(),
            TextColumn::Binary(a) => a.len(),
            TextColumn::LargeBinary(a) => a.len(),
        }
    }

    /// Row `i` as a query (binary rows decoded by the engine: invalid UTF-8 replaced,
    /// with a note), or None for a null.
    fn get(&self, i: usize) -> Option<Query> {
        match self {
            TextColumn::Utf8(a) => (!a.is_null(i)).then(|| Query::new(a.value(i))),
            TextColumn::LargeUtf8(a) => (!a.is_null(i)).then(|| Query::new(a.value(i))),
            TextColumn::Utf8View(a) => (!a.is_null(i)).then(|| Query::new(a.value(i))),
            TextColumn::Binary(a) => (!a.is_null(i)).then(|| Query::from_bytes(a.value(i))),
            TextColumn::LargeBinary(a) => (!a.is_null(i)).then(|| Query::from_bytes(a.value(i))),
        }
    }
}

/// Imports any object with `__arrow_c_array__` (pyarrow, polars, nanoarrow, arro3, ...).
fn import_array(ob: &Bound<'_, PyAny>, what: &str) -> PyResult<ArrayRef> {
    let Ok(method) = ob.getattr("__arrow_c_array__") else {
        return Err(PyTypeError::new_err(format!(
            "{what} must be an Arrow array (an object with __arrow_c_array__, e.g. \
             pyarrow.Array), not {}",
            ob.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        )));
    };
    let pair = method.call0()?;
    let pair = pair
        .cast::<PyTuple>()
        .map_err(|_| PyTypeError::new_err("__arrow_c_array__ must return a tuple"))?;
    let schema = pair.get_item(0)?;
    let schema = schema.cast::<PyCapsule>()?;
    let array = pair.get_item(1)?;
    let array = array.cast::<PyCapsule>()?;
    let schema_ptr = schema.pointer_checked(Some(SCHEMA_CAPSULE))?;
    let array_ptr = array.pointer_checked(Some(ARRAY_CAPSULE))?;
    // SAFETY: capsules named `arrow_schema`/`arrow_array` hold the C data interface's
    // structs (the PyCapsule interface's contract). The schema is borrowed; the array is
    // moved out (its release callback is taken, the capsule's copy marked released), as
    // the interface asks of a consumer.
    let data = unsafe {
        let schema = schema_ptr.cast::<FFI_ArrowSchema>().as_ref();
        let array = FFI_ArrowArray::from_raw(array_ptr.cast::<FFI_ArrowArray>().as_ptr());
        arrow_array::ffi::from_ffi(array, schema)
    }
    .map_err(arrow_error)?;
    Ok(make_array(data))
}

fn arrow_error(e: arrow_schema::ArrowError) -> PyErr {
    PyTypeError::new_err(format!("Arrow: {e}"))
}
