//! The conformance cases (`tests/data/conformance.toml`) through the C functions: each case
//! is asked with `fixbook_search_json` (no facts: the text's bytes as they are) or
//! `fixbook_diagnose_json` (a JSON request), and error codes are read back as the engine's
//! error kinds. Every answer must also equal the engine's own, byte for byte in JSON.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../../tests/support/conformance.rs"]
mod conformance;

use std::ffi::{c_int, CStr, CString};
use std::ptr;

use fixbook::*;

/// The engine error kind a C code stands for (the inverse of the binding's mapping).
fn kind_of(code: c_int) -> &'static str {
    match code {
        FIXBOOK_ERR_PACK => "pack",
        FIXBOOK_ERR_FACT => "fact",
        FIXBOOK_ERR_INVALID_REQUEST => "query",
        FIXBOOK_ERR_IO => "io",
        FIXBOOK_ERR_INDEX => "index",
        other => panic!("C code {other} is no engine error kind"),
    }
}

/// The answer of a `fixbook_*_json` call: the JSON, or the error's kind.
///
/// # Safety
/// `json` and `err` come from one call of a `fixbook_*_json` function.
unsafe fn take(json: *mut std::ffi::c_char, err: *mut FixbookError) -> conformance::Answer {
    if json.is_null() {
        assert!(!err.is_null());
        let code = unsafe { fixbook_error_code(err) };
        unsafe { fixbook_error_free(err) };
        return Err(kind_of(code).to_owned());
    }
    assert!(err.is_null());
    let text = unsafe { CStr::from_ptr(json) }.to_str().unwrap().to_owned();
    unsafe { fixbook_string_free(json) };
    Ok(serde_json::from_str(&text).unwrap())
}

fn ask(engine: *const FixbookEngine, case: &conformance::Case) -> conformance::Answer {
    let mut err: *mut FixbookError = ptr::null_mut();
    if case.facts.is_empty() {
        let text = CString::new(case.bytes()).unwrap();
        let limit = case.limit.unwrap_or(0); // 0: the engine's default
                                             // SAFETY: a live engine, a NUL-terminated string, a writable error slot.
        unsafe {
            take(
                fixbook_search_json(engine, text.as_ptr(), limit, &mut err),
                err,
            )
        }
    } else {
        let mut request = serde_json::json!({
            "text": case.text.as_deref().expect("cases with facts give `text`"),
            "facts": case.facts_json(),
        });
        if let Some(limit) = case.limit {
            request["limit"] = limit.into();
        }
        let request = CString::new(request.to_string()).unwrap();
        // SAFETY: as above.
        unsafe {
            take(
                fixbook_diagnose_json(engine, request.as_ptr(), &mut err),
                err,
            )
        }
    }
}

#[test]
fn every_case_through_the_c_functions() {
    let mut err: *mut FixbookError = ptr::null_mut();
    // the embedded packs only, as every door's conformance run: no pack path
    std::env::set_var("FIXBOOK_PACK_PATH", "");
    std::env::set_var("XDG_DATA_HOME", "/nonexistent/fixbook-conformance");
    // SAFETY: a writable error slot.
    let engine = unsafe { fixbook_engine_new_default(&mut err) };
    assert!(!engine.is_null() && err.is_null());
    let cases = conformance::cases();
    let answers: Vec<_> = cases.iter().map(|c| ask(engine, c)).collect();
    conformance::check_all("c", &cases, &answers);

    // the same answers as the engine's own
    let rust = engine::Engine::embedded().unwrap();
    for (case, answer) in cases.iter().zip(&answers) {
        let mut q = engine::Query::from_bytes(&case.bytes()).limit_or_default(case.limit);
        for (k, v) in &case.facts {
            q.facts
                .insert(k.clone(), engine::FactValue::from_toml(v).unwrap());
        }
        let own = rust
            .diagnose(&q)
            .map(|d| conformance::printed(&d))
            .map_err(|e| e.kind().as_str().to_owned());
        assert_eq!(&own, answer, "case {:?}: C and Rust differ", case.name);
    }
    // SAFETY: a live engine, freed once.
    unsafe { fixbook_engine_free(engine) };
}
