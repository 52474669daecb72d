//! A C ABI for signing, presigning and verifying SigV4 requests, resolving
//! AWS credentials and building Vault's `iam` login payload.
//!
//! The header `include/sigv4.h` is generated from this file by cbindgen
//! and checked by `cargo test -p sigv4-ffi --test header`.
//!
//! # Conventions
//!
//! * Every function returns a [`sigv4_status`]; on an error,
//!   [`sigv4_last_error`] gives a message for the calling thread.
//! * Strings are NUL-terminated UTF-8; invalid UTF-8 is
//!   `SIGV4_STATUS_INVALID_UTF8`, a NULL where one is not allowed
//!   `SIGV4_STATUS_NULL_POINTER`.
//! * Output goes into caller-owned buffers: pass `buf`/`buf_len`; the
//!   function sets `*needed` (bytes, NUL included) and returns
//!   `SIGV4_STATUS_BUFFER_TOO_SMALL` when it does not fit, writing nothing.
//!   Passing `NULL, 0` asks for the length.
//! * Handles (`sigv4_signer`, `sigv4_provider`, `sigv4_owned_credentials`)
//!   are created and freed explicitly; freeing NULL does nothing.
//! * No Rust panic crosses the boundary: one is caught and returned as
//!   `SIGV4_STATUS_PANIC`.
//!
//! # Example (from Rust, through the same functions C calls)
//!
//! ```
//! use sigv4_ffi::*;
//! use std::ffi::{CStr, c_char};
//!
//! let req = sigv4_request {
//!     method: c"GET".as_ptr(),
//!     url: c"https://example.amazonaws.com/".as_ptr(),
//!     headers: std::ptr::null(),
//!     header_count: 0,
//!     payload_kind: SIGV4_PAYLOAD_KIND_BYTES,
//!     body: std::ptr::null(),
//!     body_len: 0,
//!     payload_hash: std::ptr::null(),
//! };
//! let creds = sigv4_credentials {
//!     access_key_id: c"AKIDEXAMPLE".as_ptr(),
//!     secret_access_key: c"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".as_ptr(),
//!     session_token: std::ptr::null(),
//! };
//! let params = sigv4_params {
//!     region: c"us-east-1".as_ptr(),
//!     service: c"service".as_ptr(),
//!     time_unix: 1_440_938_160,
//!     flags: 0,
//! };
//! let mut buf = [0 as c_char; 1024];
//! let mut needed = 0;
//! let mut out = sigv4_signed_headers::default();
//! let status = unsafe {
//!     sigv4_sign(&req, &creds, &params, buf.as_mut_ptr(), buf.len(), &mut needed, &mut out)
//! };
//! assert_eq!(status, sigv4_status::Ok);
//! let last = out.headers[out.count - 1];
//! assert_eq!(unsafe { CStr::from_ptr(last.name) }.to_str().unwrap(), "Authorization");
//! assert!(unsafe { CStr::from_ptr(last.value) }.to_str().unwrap()
//!     .ends_with("Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"));
//! ```

#![allow(non_camel_case_types)]
#![allow(unsafe_code)]

mod args;
mod provider;
mod sign;
mod status;
mod types;
mod vault;
mod verify;

use std::ffi::{CStr, c_char};

pub use provider::*;
pub use sign::*;
pub use status::{sigv4_last_error, sigv4_status, sigv4_status_name};
pub use types::*;
pub use vault::*;
pub use verify::*;

/// The library version, a static string.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_version() -> *const c_char {
    static V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::status::guard;
    use std::ffi::CString;

    fn creds(akid: &'static CStr, secret: &'static CStr) -> sigv4_credentials {
        sigv4_credentials {
            access_key_id: akid.as_ptr(),
            secret_access_key: secret.as_ptr(),
            session_token: std::ptr::null(),
        }
    }

    /// us-east-1, `service`, the suite's time.
    fn params() -> sigv4_params {
        sigv4_params {
            region: c"us-east-1".as_ptr(),
            service: c"service".as_ptr(),
            time_unix: 1_440_938_160,
            flags: 0,
        }
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let st = guard(|| panic!("boom"));
        std::panic::set_hook(prev);
        assert_eq!(st, sigv4_status::Panic);
        // SAFETY: the library's own NUL-terminated string.
        let msg = unsafe { CStr::from_ptr(sigv4_last_error()) };
        assert!(msg.to_str().unwrap().contains("panic"));
        // The next success clears it.
        assert_eq!(guard(|| Ok(())), sigv4_status::Ok);
        // SAFETY: as above.
        assert!(unsafe { CStr::from_ptr(sigv4_last_error()) }.is_empty());
    }

    #[test]
    fn output_larger_than_the_scratch_space_is_signed() {
        // 60 signed headers with long names: the Authorization value alone
        // is past SCRATCH_BYTES bytes.
        let names: Vec<CString> = (0..60)
            .map(|i| CString::new(format!("x-custom-header-with-a-long-name-{i:02}")).unwrap())
            .collect();
        let headers: Vec<sigv4_header> = names
            .iter()
            .map(|n| sigv4_header {
                name: n.as_ptr(),
                value: c"v".as_ptr(),
            })
            .collect();
        let req = sigv4_request {
            method: c"GET".as_ptr(),
            url: c"https://example.amazonaws.com/".as_ptr(),
            headers: headers.as_ptr(),
            header_count: headers.len(),
            payload_kind: SIGV4_PAYLOAD_KIND_BYTES,
            body: std::ptr::null(),
            body_len: 0,
            payload_hash: std::ptr::null(),
        };
        let creds = creds(c"AKID", c"secret");
        let params = params();
        let mut buf = vec![0 as c_char; 8192];
        let mut needed = 0;
        let mut out = sigv4_signed_headers::default();
        // SAFETY: valid pointers.
        let st = unsafe {
            sigv4_sign(
                &req,
                &creds,
                &params,
                buf.as_mut_ptr(),
                buf.len(),
                &mut needed,
                &mut out,
            )
        };
        assert_eq!(st, sigv4_status::Ok);
        assert!(needed > sigv4_core::SCRATCH_BYTES, "{needed}");
        // SAFETY: points into `buf`, NUL-terminated.
        let auth = unsafe { CStr::from_ptr(out.headers[out.count - 1].value) };
        assert!(
            auth.to_str()
                .unwrap()
                .contains("x-custom-header-with-a-long-name-59")
        );
    }

    #[test]
    fn error_messages_never_hold_a_nul_or_the_secret() {
        let creds = creds(c"AKID", c"very-secret");
        let params = params();
        let req = sigv4_request {
            method: c"GET".as_ptr(),
            url: c"https://example.com/\x01".as_ptr(),
            headers: std::ptr::null(),
            header_count: 0,
            payload_kind: SIGV4_PAYLOAD_KIND_BYTES,
            body: std::ptr::null(),
            body_len: 0,
            payload_hash: std::ptr::null(),
        };
        let mut out = sigv4_signed_headers::default();
        let mut needed = 0;
        // SAFETY: valid pointers.
        let st = unsafe {
            sigv4_sign(
                &req,
                &creds,
                &params,
                std::ptr::null_mut(),
                0,
                &mut needed,
                &mut out,
            )
        };
        assert_eq!(st, sigv4_status::InvalidArgument);
        // SAFETY: the library's own string.
        let msg = unsafe { CStr::from_ptr(sigv4_last_error()) }
            .to_str()
            .unwrap();
        assert!(!msg.is_empty() && !msg.contains("very-secret"), "{msg}");
    }
}
