//! Fuzz target `facts`: see `fixbook_fuzz::facts_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::facts_bytes(data);
});
