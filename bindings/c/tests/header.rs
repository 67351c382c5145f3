//! The committed C header must be what cbindgen makes from the sources.
//!
//! `FIXBOOK_BLESS=1 cargo test -p fixbook-c --test header` rewrites `include/fixbook.h`.

use std::path::Path;

#[test]
fn committed_header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("cbindgen.toml is readable and valid");
    let bindings = cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("the header is UTF-8");

    let path = crate_dir.join("include").join("fixbook.h");
    if std::env::var_os("FIXBOOK_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("include/fixbook.h is writable");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || committed.lines().count().min(generated.lines().count()) + 1,
                |i| i + 1,
            );
        panic!(
            "{} is stale (first difference at line {line}); regenerate it with\n  \
             FIXBOOK_BLESS=1 cargo test -p fixbook-c --test header",
            path.display()
        );
    }
}
