//! C binding of fixbook: `libfixbook.so` / `libfixbook.a` and `include/fixbook.h`.
//!
//! This crate is a thin door onto the [`engine`] crate (`fixbook`): it translates C
//! arguments into engine calls and engine answers into JSON, and holds no domain logic.
//! The C contract is documented in the generated header (`include/fixbook.h`, made by
//! cbindgen from this file and `cbindgen.toml`); in short:
//!
//! - **Opaque handles**: [`FixbookEngine`] and [`FixbookError`], each created by this library
//!   and released with its own `_free` function, which accepts NULL.
//! - **JSON in, JSON out**: answers are `serde_json` of [`engine::Diagnosis`], the same shape
//!   as `fixbook search --json`; a diagnose request deserialises into [`engine::Query`].
//! - **Errors**: a function that can fail takes a `FixbookError **err` out-parameter and
//!   returns NULL (pointer results) or a non-zero code (`int` results). Codes are the
//!   `FIXBOOK_ERR_*` constants, an append-only list.
//! - **Never unwinds**: every exported body runs inside one guard function (`guard`) that turns a
//!   panic into [`FIXBOOK_ERR_INTERNAL`].
//! - **Thread-safe**: one engine may be queried from many threads at once.
//!
//! The C example is `examples/triage.c`; the C tests are `tests/test_fixbook.c`, run by
//! `run-tests.sh`.

#![deny(missing_docs)]

use std::any::Any;
use std::ffi::{c_char, c_int, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::ptr;

use engine::{Engine, ErrorKind, Query};

// ---------------------------------------------------------------------------------------------
// Error codes. Append-only: a code's number and meaning never change once released.
// ---------------------------------------------------------------------------------------------

/// Success: no error.
pub const FIXBOOK_OK: c_int = 0;
/// A required pointer argument was NULL.
pub const FIXBOOK_ERR_NULL_ARGUMENT: c_int = 1;
/// A string argument that must be UTF-8 was not (a JSON request, or a pack folder path on a
/// system where paths are not bytes). Search text is never rejected for this: invalid bytes
/// are replaced with U+FFFD and the answer carries a note.
pub const FIXBOOK_ERR_INVALID_UTF8: c_int = 2;
/// A diagnose request is not valid JSON, or not a valid request (unknown field, wrong type).
/// The message names the line and column.
pub const FIXBOOK_ERR_INVALID_REQUEST: c_int = 3;
/// One or more packs failed to load or validate (TOML syntax, unknown key, bad regex,
/// script error, duplicate id, ...). The message lists every problem as
/// `file:line:column: what (fix: how)`. On reload, the engine keeps the packs it had.
pub const FIXBOOK_ERR_PACK: c_int = 4;
/// A fact given in a request does not fit its declared type (e.g. an unknown enum value).
pub const FIXBOOK_ERR_FACT: c_int = 5;
/// A file or folder could not be read (e.g. a pack folder that does not exist), or an
/// input is larger than the engine's limit.
pub const FIXBOOK_ERR_IO: c_int = 6;
/// An internal error: a bug in fixbook (a caught panic, or an error of an unexpected kind).
/// The engine is still usable, but report it.
pub const FIXBOOK_ERR_INTERNAL: c_int = 7;
/// The full-text index could not be built.
pub const FIXBOOK_ERR_INDEX: c_int = 8;

// ---------------------------------------------------------------------------------------------
// Handles
// ---------------------------------------------------------------------------------------------

/// A loaded troubleshooting engine: its packs, signatures and full-text index.
///
/// Created by `fixbook_engine_new_default` or `fixbook_engine_new`, released by
/// `fixbook_engine_free`. Safe to query from many threads at once.
pub struct FixbookEngine {
    inner: Engine,
}

// The C contract promises one engine to many threads: keep it true at compile time.
const _: fn() = || {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<FixbookEngine>();
};

/// An error: a code (`FIXBOOK_ERR_*`) and a message. The error owns its message.
///
/// Created by a failing call, released by `fixbook_error_free`.
pub struct FixbookError {
    code: c_int,
    message: CString,
}

impl FixbookError {
    fn new(code: c_int, message: impl Into<String>) -> FixbookError {
        let mut message = message.into();
        if message.contains('\0') {
            message = message.replace('\0', "\\0");
        }
        FixbookError {
            code,
            // no interior NUL is left, so this cannot fail
            message: CString::new(message).unwrap_or_default(),
        }
    }

    fn null_argument(name: &str) -> FixbookError {
        FixbookError::new(
            FIXBOOK_ERR_NULL_ARGUMENT,
            format!("argument `{name}` is NULL"),
        )
    }
}

impl From<engine::Error> for FixbookError {
    fn from(e: engine::Error) -> FixbookError {
        FixbookError::new(code_of(e.kind()), e.to_string())
    }
}

/// The C code of an engine error kind: one code per kind, nothing else decides.
fn code_of(kind: ErrorKind) -> c_int {
    match kind {
        ErrorKind::Pack => FIXBOOK_ERR_PACK,
        ErrorKind::Fact => FIXBOOK_ERR_FACT,
        ErrorKind::Query => FIXBOOK_ERR_INVALID_REQUEST,
        ErrorKind::Io => FIXBOOK_ERR_IO,
        ErrorKind::Index => FIXBOOK_ERR_INDEX,
        _ => FIXBOOK_ERR_INTERNAL,
    }
}

// ---------------------------------------------------------------------------------------------
// The guard: every exported body runs inside it.
// ---------------------------------------------------------------------------------------------

/// Runs `body`, catching any panic, and reports failure through `err`.
///
/// On success `*err` (when `err` is not NULL) is set to NULL and the value is returned. On
/// failure, or when `body` panics, `*err` receives a new error object and `Err(code)` is
/// returned. Nothing unwinds out of this function.
fn guard<T>(
    err: *mut *mut FixbookError,
    body: impl FnOnce() -> Result<T, FixbookError>,
) -> Result<T, c_int> {
    let outcome = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(outcome) => outcome,
        Err(payload) => Err(FixbookError::new(
            FIXBOOK_ERR_INTERNAL,
            format!(
                "internal error (a bug in fixbook): {}",
                panic_message(payload)
            ),
        )),
    };
    match outcome {
        Ok(value) => {
            if !err.is_null() {
                // SAFETY: the caller passes NULL or a pointer to a writable `FixbookError *`.
                unsafe { *err = ptr::null_mut() };
            }
            Ok(value)
        }
        Err(e) => {
            let code = e.code;
            if !err.is_null() {
                // SAFETY: as above.
                unsafe { *err = Box::into_raw(Box::new(e)) };
            }
            Err(code)
        }
    }
}

/// The text of a panic payload; dropping the payload may itself panic, so it is dropped
/// inside a second guard (and forgotten if it does).
fn panic_message(payload: Box<dyn Any + Send>) -> String {
    let text = if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with no message".to_owned()
    };
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
    text
}

/// The status code of a guarded call that returns nothing.
fn status(result: Result<(), c_int>) -> c_int {
    match result {
        Ok(()) => FIXBOOK_OK,
        Err(code) => code,
    }
}

// ---------------------------------------------------------------------------------------------
// Argument helpers
// ---------------------------------------------------------------------------------------------

/// Borrows a C string, or fails with a NULL-argument error naming `name`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
unsafe fn c_str<'a>(p: *const c_char, name: &str) -> Result<&'a CStr, FixbookError> {
    if p.is_null() {
        return Err(FixbookError::null_argument(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) })
}

/// Borrows the engine behind a handle, or fails with a NULL-argument error.
///
/// # Safety
/// `p` is NULL or a live handle from `fixbook_engine_new*`.
unsafe fn engine_ref<'a>(p: *const FixbookEngine) -> Result<&'a Engine, FixbookError> {
    if p.is_null() {
        return Err(FixbookError::null_argument("engine"));
    }
    // SAFETY: a live handle per the caller's contract.
    Ok(unsafe { &(*p).inner })
}

/// A pack folder path from a C string: bytes on Unix, UTF-8 elsewhere.
fn path_from_c(s: &CStr) -> Result<PathBuf, FixbookError> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Ok(PathBuf::from(std::ffi::OsStr::from_bytes(s.to_bytes())))
    }
    #[cfg(not(unix))]
    {
        s.to_str().map(PathBuf::from).map_err(|e| {
            FixbookError::new(
                FIXBOOK_ERR_INVALID_UTF8,
                format!("pack folder path is not valid UTF-8: {e}"),
            )
        })
    }
}

/// A new C string holding `value` as JSON, owned by the caller.
fn json_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<*mut c_char, FixbookError> {
    let json = serde_json::to_string(value).map_err(|e| {
        FixbookError::new(
            FIXBOOK_ERR_INTERNAL,
            format!("cannot serialise the answer: {e}"),
        )
    })?;
    // JSON escapes control characters, so it holds no NUL
    let s = CString::new(json)
        .map_err(|_| FixbookError::new(FIXBOOK_ERR_INTERNAL, "the answer holds a NUL byte"))?;
    Ok(s.into_raw())
}

// ---------------------------------------------------------------------------------------------
// Exported functions
// ---------------------------------------------------------------------------------------------

static VERSION: &[u8] = concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes();

/// The library's version, e.g. `"0.1.0"` (semver).
///
/// The string is static: do not free it. Thread-safe.
#[no_mangle]
pub extern "C" fn fixbook_version() -> *const c_char {
    guard(ptr::null_mut(), || Ok(VERSION.as_ptr().cast::<c_char>())).unwrap_or(ptr::null())
}

/// Opens an engine with what the `fixbook` command loads by default: the packs embedded in
/// the library, then every pack on the pack path (the folders in `FIXBOOK_PACK_PATH`,
/// colon-separated, then `$XDG_DATA_HOME/fixbook/packs` or `~/.local/share/fixbook/packs`).
///
/// A broken pack on the pack path is skipped, not fatal (see
/// `fixbook_engine_skipped_json`). Returns a new engine, freed with `fixbook_engine_free`,
/// or NULL with `*err` set (`FIXBOOK_ERR_PACK`, `FIXBOOK_ERR_IO`, `FIXBOOK_ERR_INDEX`,
/// `FIXBOOK_ERR_INTERNAL`).
///
/// # Safety
/// `err` is NULL or points to a writable `FixbookError *`. On success `*err` is set to NULL;
/// on failure it receives an error the caller frees with `fixbook_error_free`.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_new_default(
    err: *mut *mut FixbookError,
) -> *mut FixbookEngine {
    guard(err, || {
        let inner = Engine::builder().pack_path_from_env().build()?;
        Ok(Box::into_raw(Box::new(FixbookEngine { inner })))
    })
    .unwrap_or(ptr::null_mut())
}

/// Opens an engine with exactly the packs in the given folders: no embedded packs, no pack
/// path. Each folder is a pack (holding `pack.toml`) or a folder of packs.
///
/// Loading is strict: a folder that cannot be read, e.g. a missing one (`FIXBOOK_ERR_IO`,
/// naming the folder), one with no pack in it (`FIXBOOK_ERR_PACK`, naming the folder; the
/// engine decides this in every mode) or any broken pack (`FIXBOOK_ERR_PACK`, every
/// problem listed in the message with file, line and column) fails the call; so does a
/// reload that finds any of them. `n_dirs`
/// may be 0 (an engine with no packs; `pack_dirs` may then be NULL). Returns a new engine,
/// freed with `fixbook_engine_free`, or NULL with `*err` set
/// (also `FIXBOOK_ERR_NULL_ARGUMENT`, `FIXBOOK_ERR_INVALID_UTF8` on systems whose paths are
/// not bytes, `FIXBOOK_ERR_INDEX`, `FIXBOOK_ERR_INTERNAL`).
///
/// # Safety
/// `pack_dirs` points to `n_dirs` NUL-terminated strings (the array and strings are only
/// read during the call). `err` is NULL or points to a writable `FixbookError *`, set to NULL
/// on success and to a new error on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_new(
    pack_dirs: *const *const c_char,
    n_dirs: usize,
    err: *mut *mut FixbookError,
) -> *mut FixbookEngine {
    guard(err, || {
        if pack_dirs.is_null() && n_dirs > 0 {
            return Err(FixbookError::null_argument("pack_dirs"));
        }
        let mut dirs = Vec::new(); // no capacity from `n_dirs`: a bogus count must not abort
        for i in 0..n_dirs {
            // SAFETY: `pack_dirs` holds `n_dirs` pointers per the caller's contract.
            let p = unsafe { *pack_dirs.add(i) };
            // SAFETY: each is NULL or a NUL-terminated string.
            let s = unsafe { c_str(p, &format!("pack_dirs[{i}]")) }?;
            dirs.push(path_from_c(s)?);
        }
        let inner = Engine::builder()
            .builtin(false)
            .pack_dirs(dirs)
            .strict(true)
            .build()?;
        Ok(Box::into_raw(Box::new(FixbookEngine { inner })))
    })
    .unwrap_or(ptr::null_mut())
}

/// Frees an engine. NULL is a no-op.
///
/// # Safety
/// `engine` is NULL or a handle from `fixbook_engine_new*` not freed yet. No other thread
/// may be using it, and it must not be used after this call.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_free(engine: *mut FixbookEngine) {
    let _ = guard(ptr::null_mut(), || {
        if !engine.is_null() {
            // SAFETY: a live handle made by `Box::into_raw`, freed once.
            drop(unsafe { Box::from_raw(engine) });
        }
        Ok(())
    });
}

/// Re-reads every pack the engine was opened with and swaps the new set in atomically.
///
/// Returns `FIXBOOK_OK` (0), or an error code with `*err` set: `FIXBOOK_ERR_NULL_ARGUMENT`,
/// `FIXBOOK_ERR_PACK`, `FIXBOOK_ERR_IO`, `FIXBOOK_ERR_INDEX`, `FIXBOOK_ERR_INTERNAL`. On
/// failure the engine keeps the packs it had and stays usable.
///
/// Thread-safe: may run while other threads query the same engine; each query sees the old
/// pack set or the new one, never a mix.
///
/// # Safety
/// `engine` is NULL or a live handle. `err` is NULL or points to a writable
/// `FixbookError *`, set to NULL on success and to a new error on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_reload(
    engine: *mut FixbookEngine,
    err: *mut *mut FixbookError,
) -> c_int {
    status(guard(err, || {
        // SAFETY: NULL or a live handle.
        let e = unsafe { engine_ref(engine) }?;
        e.reload()?;
        Ok(())
    }))
}

/// The loaded packs as a JSON array: `[{"id", "name", "version", "description", "origin",
/// "entries"}, ...]`.
///
/// Returns a new string, freed with `fixbook_string_free`, or NULL with `*err` set
/// (`FIXBOOK_ERR_NULL_ARGUMENT`, `FIXBOOK_ERR_INTERNAL`). Thread-safe.
///
/// # Safety
/// `engine` is NULL or a live handle. `err` is NULL or points to a writable
/// `FixbookError *`, set to NULL on success and to a new error on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_packs_json(
    engine: *const FixbookEngine,
    err: *mut *mut FixbookError,
) -> *mut c_char {
    guard(err, || {
        // SAFETY: NULL or a live handle.
        let e = unsafe { engine_ref(engine) }?;
        json_string(&e.packs())
    })
    .unwrap_or(ptr::null_mut())
}

/// The problems of packs skipped at load as a JSON array (`[]` when none): `[{"kind",
/// "path", "line", "column", "message", "hint", ...}, ...]`. Only
/// `fixbook_engine_new_default` skips packs; `fixbook_engine_new` fails instead.
///
/// Returns a new string, freed with `fixbook_string_free`, or NULL with `*err` set
/// (`FIXBOOK_ERR_NULL_ARGUMENT`, `FIXBOOK_ERR_INTERNAL`). Thread-safe.
///
/// # Safety
/// `engine` is NULL or a live handle. `err` is NULL or points to a writable
/// `FixbookError *`, set to NULL on success and to a new error on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_engine_skipped_json(
    engine: *const FixbookEngine,
    err: *mut *mut FixbookError,
) -> *mut c_char {
    guard(err, || {
        // SAFETY: NULL or a live handle.
        let e = unsafe { engine_ref(engine) }?;
        json_string(&e.skipped())
    })
    .unwrap_or(ptr::null_mut())
}

/// Searches `text` (an error string, a log excerpt, a ticket) with no facts and returns the
/// answer as JSON, the same shape as `fixbook search --json`:
/// `{"matches": [{"id", "title", "score", "confidence", "evidence", "causes", "remedy",
/// "questions", "references", "summary", ...}, ...], "questions": [...], "notes": [...]}`,
/// best match first; `matches` is empty when nothing is relevant.
///
/// `limit` is the most matches to return; 0 means the engine's default (10, as in every
/// door; also for a request's `"limit": 0` in `fixbook_diagnose_json`). Invalid UTF-8
/// in `text` is replaced with U+FFFD and a note says so: the text never causes an error.
///
/// Returns a new string, freed with `fixbook_string_free`, or NULL with `*err` set
/// (`FIXBOOK_ERR_NULL_ARGUMENT`, `FIXBOOK_ERR_INTERNAL`). Thread-safe.
///
/// # Safety
/// `engine` is NULL or a live handle; `text` is NULL or a NUL-terminated string. `err` is
/// NULL or points to a writable `FixbookError *`, set to NULL on success and to a new error
/// on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_search_json(
    engine: *const FixbookEngine,
    text: *const c_char,
    limit: usize,
    err: *mut *mut FixbookError,
) -> *mut c_char {
    guard(err, || {
        // SAFETY: NULL or a live handle.
        let e = unsafe { engine_ref(engine) }?;
        // SAFETY: NULL or a NUL-terminated string.
        let bytes = unsafe { c_str(text, "text") }?.to_bytes();
        let d = e.diagnose(&Query::from_bytes(bytes).limit(limit))?;
        json_string(&d)
    })
    .unwrap_or(ptr::null_mut())
}

/// Diagnoses a request given as JSON and returns the answer as JSON (the shape of
/// `fixbook_search_json`, with cause verdicts decided by the facts given).
///
/// The request is an object with these fields, all optional:
/// `{"text": "...", "facts": {"name": value, ...}, "limit": N, "packs": ["pack-id", ...],
/// "trace": false, "drafts": false}`. Fact values are booleans, numbers, strings or lists of
/// strings; strings are converted to the fact's declared type. Unknown fields are rejected.
///
/// Returns a new string, freed with `fixbook_string_free`, or NULL with `*err` set:
/// `FIXBOOK_ERR_NULL_ARGUMENT`, `FIXBOOK_ERR_INVALID_UTF8` (the request is not UTF-8),
/// `FIXBOOK_ERR_INVALID_REQUEST` (not JSON, or not a valid request), `FIXBOOK_ERR_FACT` (a
/// fact of the wrong type), `FIXBOOK_ERR_INTERNAL`. Thread-safe.
///
/// # Safety
/// `engine` is NULL or a live handle; `request_json` is NULL or a NUL-terminated string.
/// `err` is NULL or points to a writable `FixbookError *`, set to NULL on success and to a
/// new error on failure.
#[no_mangle]
pub unsafe extern "C" fn fixbook_diagnose_json(
    engine: *const FixbookEngine,
    request_json: *const c_char,
    err: *mut *mut FixbookError,
) -> *mut c_char {
    guard(err, || {
        // SAFETY: NULL or a live handle.
        let e = unsafe { engine_ref(engine) }?;
        // SAFETY: NULL or a NUL-terminated string.
        let request = unsafe { c_str(request_json, "request_json") }?
            .to_str()
            .map_err(|u| {
                FixbookError::new(
                    FIXBOOK_ERR_INVALID_UTF8,
                    format!("the request is not valid UTF-8: {u}"),
                )
            })?;
        let query: Query = serde_json::from_str(request).map_err(|j| {
            FixbookError::new(
                FIXBOOK_ERR_INVALID_REQUEST,
                format!("invalid request JSON: {j}"),
            )
        })?;
        let d = e.diagnose(&query)?;
        json_string(&d)
    })
    .unwrap_or(ptr::null_mut())
}

/// Frees a string returned by this library. NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a string returned by a `fixbook_*_json` function and not freed yet. Never
/// pass it a string from elsewhere (e.g. `malloc`), nor `fixbook_version()` or
/// `fixbook_error_message()`.
#[no_mangle]
pub unsafe extern "C" fn fixbook_string_free(s: *mut c_char) {
    let _ = guard(ptr::null_mut(), || {
        if !s.is_null() {
            // SAFETY: made by `CString::into_raw`, freed once.
            drop(unsafe { CString::from_raw(s) });
        }
        Ok(())
    });
}

/// The error's code, one of `FIXBOOK_ERR_*`; `FIXBOOK_OK` (0) for NULL. Thread-safe.
///
/// # Safety
/// `err` is NULL or an error not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fixbook_error_code(err: *const FixbookError) -> c_int {
    guard(ptr::null_mut(), || {
        // SAFETY: NULL or a live error.
        Ok(unsafe { err.as_ref() }.map_or(FIXBOOK_OK, |e| e.code))
    })
    .unwrap_or(FIXBOOK_ERR_INTERNAL)
}

/// The error's message (UTF-8, one or more lines), owned by the error: valid until
/// `fixbook_error_free(err)`; do not free it. An empty string for NULL. Thread-safe.
///
/// # Safety
/// `err` is NULL or an error not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fixbook_error_message(err: *const FixbookError) -> *const c_char {
    static EMPTY: &[u8] = b"\0";
    guard(ptr::null_mut(), || {
        // SAFETY: NULL or a live error.
        Ok(unsafe { err.as_ref() }.map_or(EMPTY.as_ptr().cast::<c_char>(), |e| e.message.as_ptr()))
    })
    .unwrap_or(EMPTY.as_ptr().cast::<c_char>())
}

/// Frees an error and its message. NULL is a no-op.
///
/// # Safety
/// `err` is NULL or an error returned through a `FixbookError **` and not freed yet.
#[no_mangle]
pub unsafe extern "C" fn fixbook_error_free(err: *mut FixbookError) {
    let _ = guard(ptr::null_mut(), || {
        if !err.is_null() {
            // SAFETY: made by `Box::into_raw`, freed once.
            drop(unsafe { Box::from_raw(err) });
        }
        Ok(())
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let mut err: *mut FixbookError = ptr::null_mut();
        let r: Result<(), c_int> = guard(&mut err, || panic!("boom"));
        assert_eq!(r, Err(FIXBOOK_ERR_INTERNAL));
        assert!(!err.is_null());
        // SAFETY: just set by `guard`.
        unsafe {
            assert_eq!(fixbook_error_code(err), FIXBOOK_ERR_INTERNAL);
            let msg = CStr::from_ptr(fixbook_error_message(err)).to_string_lossy();
            assert!(msg.contains("boom"), "{msg}");
            fixbook_error_free(err);
        }
    }

    #[test]
    fn success_clears_the_error_slot() {
        let mut err: *mut FixbookError = ptr::null_mut();
        let r = guard(&mut err, || Ok(5));
        assert_eq!(r, Ok(5));
        assert!(err.is_null());
    }

    #[test]
    fn version_is_the_engine_version() {
        // SAFETY: a static NUL-terminated string.
        let v = unsafe { CStr::from_ptr(fixbook_version()) };
        assert_eq!(v.to_str().ok(), Some(engine::VERSION));
    }

    #[test]
    fn messages_never_hold_a_nul() {
        let e = FixbookError::new(FIXBOOK_ERR_IO, "a\0b");
        assert_eq!(e.message.to_str().ok(), Some("a\\0b"));
    }
}
