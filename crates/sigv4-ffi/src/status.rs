//! Statuses, the thread-local last error, and the panic guard every
//! entry point runs in.

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a call returned.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum sigv4_status {
    /// Success.
    Ok = 0,
    /// A required pointer was NULL.
    NullPointer = 1,
    /// A string was not UTF-8.
    InvalidUtf8 = 2,
    /// An argument is unusable (a malformed URL, header, region, time…).
    InvalidArgument = 3,
    /// The output buffer is too small; `*needed` says how large it must be.
    BufferTooSmall = 4,
    /// Verification: the request carries no usable signature.
    Malformed = 5,
    /// Verification: the lookup knows no secret for the access key id.
    UnknownAccessKey = 6,
    /// Verification: signed too long ago, or past a presigned expiry.
    Expired = 7,
    /// Verification: signed in the future beyond the allowed skew.
    NotYetValid = 8,
    /// Verification: the signature does not match.
    SignatureMismatch = 9,
    /// Credentials could not be found or obtained.
    Credentials = 10,
    /// A Rust panic was caught (a bug; please report it).
    Panic = 11,
    /// Verification: the signature is valid but the body is not the one
    /// whose SHA-256 the request signed in `x-amz-content-sha256`.
    PayloadHashMismatch = 12,
    /// Verification: the request signs `UNSIGNED-PAYLOAD` (its body is not
    /// authenticated) and `SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD` was not given
    /// (S3 scopes allow it).
    UnsignedPayload = 13,
    /// Verification: the request signs a `STREAMING-…` (aws-chunked)
    /// payload, which this library does not verify yet.
    StreamingPayload = 14,
}

/// Every status, for `sigv4_status_name`.
pub(crate) const STATUSES: [(sigv4_status, &CStr); 15] = [
    (sigv4_status::Ok, c"SIGV4_STATUS_OK"),
    (sigv4_status::NullPointer, c"SIGV4_STATUS_NULL_POINTER"),
    (sigv4_status::InvalidUtf8, c"SIGV4_STATUS_INVALID_UTF8"),
    (
        sigv4_status::InvalidArgument,
        c"SIGV4_STATUS_INVALID_ARGUMENT",
    ),
    (
        sigv4_status::BufferTooSmall,
        c"SIGV4_STATUS_BUFFER_TOO_SMALL",
    ),
    (sigv4_status::Malformed, c"SIGV4_STATUS_MALFORMED"),
    (
        sigv4_status::UnknownAccessKey,
        c"SIGV4_STATUS_UNKNOWN_ACCESS_KEY",
    ),
    (sigv4_status::Expired, c"SIGV4_STATUS_EXPIRED"),
    (sigv4_status::NotYetValid, c"SIGV4_STATUS_NOT_YET_VALID"),
    (
        sigv4_status::SignatureMismatch,
        c"SIGV4_STATUS_SIGNATURE_MISMATCH",
    ),
    (sigv4_status::Credentials, c"SIGV4_STATUS_CREDENTIALS"),
    (sigv4_status::Panic, c"SIGV4_STATUS_PANIC"),
    (
        sigv4_status::PayloadHashMismatch,
        c"SIGV4_STATUS_PAYLOAD_HASH_MISMATCH",
    ),
    (
        sigv4_status::UnsignedPayload,
        c"SIGV4_STATUS_UNSIGNED_PAYLOAD",
    ),
    (
        sigv4_status::StreamingPayload,
        c"SIGV4_STATUS_STREAMING_PAYLOAD",
    ),
];

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

pub(crate) fn set_error(msg: &str) {
    let clean: String = msg.chars().filter(|&c| c != '\0').collect();
    LAST_ERROR.with(|e| *e.borrow_mut() = CString::new(clean).unwrap_or_default());
}

/// The message of the calling thread's last error ("" if none); valid
/// until the thread's next call into this library.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_last_error() -> *const c_char {
    LAST_ERROR.with(|e| e.borrow().as_ptr())
}

/// The name of a status (`"SIGV4_STATUS_OK"`, …), or `"unknown"` for a
/// value that is not a status; a static string. Takes an integer, so any
/// value is safe to pass.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_status_name(status: c_int) -> *const c_char {
    STATUSES
        .iter()
        .find(|(s, _)| *s as c_int == status)
        .map_or(c"unknown", |(_, name)| name)
        .as_ptr()
}

/// An error: a status and its message.
pub(crate) struct Fail(pub(crate) sigv4_status, pub(crate) String);

pub(crate) type R<T> = Result<T, Fail>;

pub(crate) fn fail<T>(status: sigv4_status, msg: impl Into<String>) -> R<T> {
    Err(Fail(status, msg.into()))
}

/// Runs `f`, catching panics, recording the error message.
pub(crate) fn guard(f: impl FnOnce() -> R<()>) -> sigv4_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => {
            set_error("");
            sigv4_status::Ok
        }
        Ok(Err(Fail(status, msg))) => {
            set_error(&msg);
            status
        }
        Err(_) => {
            set_error("internal error (a Rust panic was caught); please report it");
            sigv4_status::Panic
        }
    }
}
