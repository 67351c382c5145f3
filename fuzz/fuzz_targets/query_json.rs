//! Fuzz target `query_json`: see `fixbook_fuzz::query_json_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::query_json_bytes(data);
});
