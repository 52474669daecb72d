//! `include/sigv4.h` is what cbindgen makes of the current source.
//! `SIGV4_FFI_WRITE_HEADER=1 cargo test -p sigv4-ffi --test header`
//! rewrites it.

use std::path::Path;

#[test]
fn header_is_current() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).unwrap();
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(crate_dir)
        .with_config(config)
        .generate()
        .expect("cbindgen")
        .write(&mut generated);
    let path = crate_dir.join("include/sigv4.h");
    if std::env::var_os("SIGV4_FFI_WRITE_HEADER").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let current = std::fs::read(&path).unwrap_or_default();
    assert!(
        current == generated,
        "include/sigv4.h is out of date; run SIGV4_FFI_WRITE_HEADER=1 cargo test -p sigv4-ffi --test header"
    );
}
