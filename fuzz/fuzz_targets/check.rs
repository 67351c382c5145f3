//! Fuzz target `check`: see `fixbook_fuzz::check_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::check_bytes(data);
});
