//! Fuzz target `scan`: see `fixbook_fuzz::scan_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::scan_bytes(data);
});
