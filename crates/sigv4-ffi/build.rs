//! The shared library's soname, as packagers expect it (cargo-c's
//! convention): `libsigv4.so.0`, which `scripts/install-ffi` installs the
//! library as, with `libsigv4.so` beside it.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "android" || os.ends_with("bsd") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libsigv4.so.0");
    }
}
