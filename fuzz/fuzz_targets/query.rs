//! Fuzz target `query`: see `fixbook_fuzz::query_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::query_bytes(data);
});
