//! Fuzz target `load_pack`: see `fixbook_fuzz::load_pack_bytes`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    fixbook_fuzz::load_pack_bytes(data);
});
