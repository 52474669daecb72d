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

use std::cell::RefCell;
use std::ffi::{CStr, CString, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, Mutex};
use std::time::{Duration, UNIX_EPOCH};

use sigv4_core::{
    Credentials, PathEncoding, Payload, Request, SessionTokenMode, SignError, Signer,
    SigningParams, SigningSettings, Timestamp, Verifier, VerifyError, VerifySettings, append_query,
    with_scratch,
};
use zeroize::Zeroizing;

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
const STATUSES: [(sigv4_status, &CStr); 15] = [
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

/// How the payload is given: one of the `SIGV4_PAYLOAD_KIND_*` values.
/// An integer, not a C enum, so that any value C puts there is checked:
/// another value is `SIGV4_STATUS_INVALID_ARGUMENT`.
pub type sigv4_payload_kind = c_int;

/// `body`/`body_len` are the body (NULL/0 for none); it is hashed.
pub const SIGV4_PAYLOAD_KIND_BYTES: sigv4_payload_kind = 0;
/// `payload_hash` is the body's SHA-256: exactly 64 lower-case hex digits
/// (anything else is `SIGV4_STATUS_INVALID_ARGUMENT`).
pub const SIGV4_PAYLOAD_KIND_PRECOMPUTED: sigv4_payload_kind = 1;
/// `UNSIGNED-PAYLOAD`: the body is not covered by the signature. When
/// verifying: the request signed `UNSIGNED-PAYLOAD` (refused unless
/// `SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD`), and you have no body to check.
pub const SIGV4_PAYLOAD_KIND_UNSIGNED: sigv4_payload_kind = 2;

/// Signing and verification options, OR-ed into `sigv4_params.flags` or
/// the `flags` argument of [`sigv4_verify`]. 0 gives the rules of most
/// services. A bit a function does not take, or an unknown bit, is
/// `SIGV4_STATUS_INVALID_ARGUMENT`.
pub type sigv4_flags = u32;

/// Sign: add and sign `x-amz-content-sha256` (S3, OpenSearch
/// Serverless). Header signing only; ignored by presigning.
pub const SIGV4_FLAG_CONTENT_SHA256_HEADER: sigv4_flags = 1;
/// Sign: S3's rules: no path normalisation, single path encoding, and the
/// content hash header.
pub const SIGV4_FLAG_S3_RULES: sigv4_flags = 1 << 1;
/// Sign, verify: do not remove `.`, `..` and empty segments from the path.
pub const SIGV4_FLAG_NO_PATH_NORMALIZATION: sigv4_flags = 1 << 2;
/// Sign, verify: use the wire path as it is instead of encoding it once
/// more (S3's rule, without the others).
pub const SIGV4_FLAG_SINGLE_PATH_ENCODING: sigv4_flags = 1 << 3;
/// Sign: add `X-Amz-Security-Token` after signing, unsigned (a few
/// services, e.g. IoT presigned WebSocket URLs).
pub const SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING: sigv4_flags = 1 << 4;
/// Verify: accept a request that signs `UNSIGNED-PAYLOAD`; its body is then
/// not authenticated. (S3 scopes accept it without the flag.)
pub const SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD: sigv4_flags = 1 << 5;

const SIGN_FLAGS: sigv4_flags = SIGV4_FLAG_CONTENT_SHA256_HEADER
    | SIGV4_FLAG_S3_RULES
    | SIGV4_FLAG_NO_PATH_NORMALIZATION
    | SIGV4_FLAG_SINGLE_PATH_ENCODING
    | SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING;
const VERIFY_FLAGS: sigv4_flags = SIGV4_FLAG_NO_PATH_NORMALIZATION
    | SIGV4_FLAG_SINGLE_PATH_ENCODING
    | SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD;

/// The size of the buffer a [`sigv4_secret_lookup`] writes the secret
/// into; longer secrets cannot be verified.
pub const SIGV4_SECRET_MAX_LEN: usize = 256;

/// A header name and value.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigv4_header {
    /// The name.
    pub name: *const c_char,
    /// The value.
    pub value: *const c_char,
}

impl Default for sigv4_header {
    fn default() -> Self {
        Self {
            name: std::ptr::null(),
            value: std::ptr::null(),
        }
    }
}

/// A request to sign or verify. Borrowed for the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigv4_request {
    /// `GET`, `POST`, …
    pub method: *const c_char,
    /// The URL as sent (already percent-encoded).
    pub url: *const c_char,
    /// The headers (may be NULL when `header_count` is 0).
    pub headers: *const sigv4_header,
    /// How many headers.
    pub header_count: usize,
    /// How the payload is given: a `SIGV4_PAYLOAD_KIND_*` value.
    pub payload_kind: sigv4_payload_kind,
    /// The body, for `SIGV4_PAYLOAD_KIND_BYTES` (may be NULL when
    /// `body_len` is 0).
    pub body: *const u8,
    /// The body's length.
    pub body_len: usize,
    /// The body's SHA-256, 64 lower-case hex digits, for
    /// `SIGV4_PAYLOAD_KIND_PRECOMPUTED` (ignored otherwise).
    pub payload_hash: *const c_char,
}

/// Credentials, borrowed for the call only.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigv4_credentials {
    /// The access key id.
    pub access_key_id: *const c_char,
    /// The secret access key.
    pub secret_access_key: *const c_char,
    /// The session token, or NULL.
    pub session_token: *const c_char,
}

/// Where, when and how to sign.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigv4_params {
    /// The region, e.g. `us-east-1`.
    pub region: *const c_char,
    /// The signing name of the service, e.g. `es`, `aoss`, `s3`.
    pub service: *const c_char,
    /// The signing time, Unix seconds.
    pub time_unix: u64,
    /// `SIGV4_FLAG_*` values OR-ed together (0: the rules of most
    /// services): `CONTENT_SHA256_HEADER`, `S3_RULES`,
    /// `NO_PATH_NORMALIZATION`, `SINGLE_PATH_ENCODING`,
    /// `SESSION_TOKEN_AFTER_SIGNING`.
    pub flags: sigv4_flags,
}

/// The most headers a signature adds.
pub const SIGV4_MAX_SIGNED_HEADERS: usize = 4;

/// The headers to add to the request: `X-Amz-Date`, maybe
/// `X-Amz-Security-Token` and `X-Amz-Content-Sha256`, then
/// `Authorization`. Names and values point into the caller's buffer.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct sigv4_signed_headers {
    /// The headers.
    pub headers: [sigv4_header; SIGV4_MAX_SIGNED_HEADERS],
    /// How many are set.
    pub count: usize,
}

/// What a verified request was signed with. Strings are NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct sigv4_verified {
    /// The access key id.
    pub access_key_id: [c_char; 129],
    /// The credential scope's region.
    pub region: [c_char; 129],
    /// The credential scope's service.
    pub service: [c_char; 129],
    /// When it was signed, Unix seconds.
    pub signed_at_unix: u64,
    /// True for a presigned URL.
    pub presigned: bool,
    /// True when the request signed `UNSIGNED-PAYLOAD` (accepted through
    /// `SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD` or an `s3` scope): the body is
    /// then not authenticated.
    pub unsigned_payload: bool,
}

/// Looks up the secret for `access_key_id` (NUL-terminated UTF-8), called
/// once by [`sigv4_verify`] on the verifying thread with its `ctx`:
///
/// * found: write the secret into `secret_buf` (`secret_buf_len` bytes,
///   [`SIGV4_SECRET_MAX_LEN`]; no NUL needed), set `*secret_len` to its
///   length, return 0. A `*secret_len` over `secret_buf_len` makes the
///   verification fail with `SIGV4_STATUS_INVALID_ARGUMENT`.
/// * unknown access key: return 1 (`SIGV4_STATUS_UNKNOWN_ACCESS_KEY`).
/// * any other value: the lookup itself failed (a secret store was
///   unreachable); the verification fails with `SIGV4_STATUS_CREDENTIALS`.
///
/// The buffer is zeroised after use.
pub type sigv4_secret_lookup = Option<
    unsafe extern "C" fn(
        ctx: *mut c_void,
        access_key_id: *const c_char,
        secret_buf: *mut c_char,
        secret_buf_len: usize,
        secret_len: *mut usize,
    ) -> i32,
>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

fn set_error(msg: &str) {
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

/// An error: a status and its message.
struct Fail(sigv4_status, String);

type R<T> = Result<T, Fail>;

fn fail<T>(status: sigv4_status, msg: impl Into<String>) -> R<T> {
    Err(Fail(status, msg.into()))
}

/// Runs `f`, catching panics, recording the error message.
fn guard(f: impl FnOnce() -> R<()>) -> sigv4_status {
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

/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> R<&'a str> {
    if p.is_null() {
        return fail(sigv4_status::NullPointer, format!("{what} is NULL"));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let c = unsafe { CStr::from_ptr(p) };
    c.to_str()
        .or_else(|_| fail(sigv4_status::InvalidUtf8, format!("{what} is not UTF-8")))
}

/// # Safety
/// As [`str_arg`]; NULL gives `None`.
unsafe fn opt_str_arg<'a>(p: *const c_char, what: &str) -> R<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(p, what) }.map(Some)
    }
}

fn nonnull<'a, T>(p: *const T, what: &str) -> R<&'a T> {
    // SAFETY: the caller passes a valid pointer or NULL.
    unsafe { p.as_ref() }.ok_or(Fail(sigv4_status::NullPointer, format!("{what} is NULL")))
}

/// The request's parts, borrowed from C.
struct RequestArgs<'a> {
    method: &'a str,
    url: &'a str,
    headers: Vec<(&'a str, &'a str)>,
    payload: Payload<'a>,
}

/// # Safety
/// `req` points to a valid `sigv4_request` whose pointers are valid.
unsafe fn request_args<'a>(req: *const sigv4_request) -> R<RequestArgs<'a>> {
    let req = nonnull(req, "request")?;
    // SAFETY: per the caller's contract.
    let method = unsafe { str_arg(req.method, "request.method") }?;
    // SAFETY: per the caller's contract.
    let url = unsafe { str_arg(req.url, "request.url") }?;
    let mut headers = Vec::with_capacity(req.header_count);
    if req.header_count > 0 {
        if req.headers.is_null() {
            return fail(sigv4_status::NullPointer, "request.headers is NULL");
        }
        // SAFETY: `headers` holds `header_count` elements.
        let list = unsafe { std::slice::from_raw_parts(req.headers, req.header_count) };
        for (i, h) in list.iter().enumerate() {
            // SAFETY: per the caller's contract.
            let name = unsafe { str_arg(h.name, &format!("request.headers[{i}].name")) }?;
            // SAFETY: per the caller's contract.
            let value = unsafe { str_arg(h.value, &format!("request.headers[{i}].value")) }?;
            headers.push((name, value));
        }
    }
    let payload = match req.payload_kind {
        SIGV4_PAYLOAD_KIND_BYTES => {
            if req.body_len == 0 {
                Payload::Bytes(&[])
            } else if req.body.is_null() {
                return fail(sigv4_status::NullPointer, "request.body is NULL");
            } else {
                // SAFETY: `body` holds `body_len` bytes.
                Payload::Bytes(unsafe { std::slice::from_raw_parts(req.body, req.body_len) })
            }
        }
        SIGV4_PAYLOAD_KIND_PRECOMPUTED => {
            // SAFETY: per the caller's contract.
            let h = unsafe { str_arg(req.payload_hash, "request.payload_hash") }?;
            if h.len() != 64 || !h.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return fail(
                    sigv4_status::InvalidArgument,
                    "request.payload_hash must be the body's SHA-256 as 64 lower-case hex digits",
                );
            }
            Payload::Precomputed(h)
        }
        SIGV4_PAYLOAD_KIND_UNSIGNED => Payload::Unsigned,
        other => {
            return fail(
                sigv4_status::InvalidArgument,
                format!(
                    "request.payload_kind {other} is not a SIGV4_PAYLOAD_KIND_* value (0, 1 or 2)"
                ),
            );
        }
    };
    Ok(RequestArgs {
        method,
        url,
        headers,
        payload,
    })
}

/// # Safety
/// `c` points to a valid `sigv4_credentials`.
unsafe fn creds_args<'a>(c: *const sigv4_credentials) -> R<Credentials<'a>> {
    let c = nonnull(c, "credentials")?;
    // SAFETY: per the caller's contract.
    let akid = unsafe { str_arg(c.access_key_id, "credentials.access_key_id") }?;
    // SAFETY: per the caller's contract.
    let secret = unsafe { str_arg(c.secret_access_key, "credentials.secret_access_key") }?;
    // SAFETY: per the caller's contract.
    let token = unsafe { opt_str_arg(c.session_token, "credentials.session_token") }?;
    let mut creds = Credentials::new(akid, secret);
    if let Some(t) = token {
        creds = creds.with_session_token(t);
    }
    Ok(creds)
}

/// # Safety
/// `p` points to a valid `sigv4_params`.
unsafe fn params_args<'a>(p: *const sigv4_params) -> R<SigningParams<'a>> {
    let p = nonnull(p, "params")?;
    // SAFETY: per the caller's contract.
    let region = unsafe { str_arg(p.region, "params.region") }?;
    // SAFETY: per the caller's contract.
    let service = unsafe { str_arg(p.service, "params.service") }?;
    let time = Timestamp::from_unix_seconds(p.time_unix).or_else(|e| {
        fail(
            sigv4_status::InvalidArgument,
            format!("params.time_unix: {e}"),
        )
    })?;
    let mut params = SigningParams::new(region, service, time);
    let flags = check_flags(p.flags, SIGN_FLAGS, "params.flags")?;
    if flags & SIGV4_FLAG_S3_RULES != 0 {
        params.settings = SigningSettings::s3();
    }
    if flags & SIGV4_FLAG_CONTENT_SHA256_HEADER != 0 {
        params.settings.content_sha256_header = true;
    }
    if flags & SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING != 0 {
        params.settings.session_token = SessionTokenMode::AppendedAfterSigning;
    }
    apply_path_flags(flags, &mut params.settings);
    Ok(params)
}

/// `flags` if it holds only bits of `allowed`.
fn check_flags(flags: sigv4_flags, allowed: sigv4_flags, what: &str) -> R<sigv4_flags> {
    if flags & !allowed != 0 {
        return fail(
            sigv4_status::InvalidArgument,
            format!(
                "{what}: 0x{:x} holds bits this function does not take",
                flags & !allowed
            ),
        );
    }
    Ok(flags)
}

fn apply_path_flags(flags: sigv4_flags, settings: &mut SigningSettings<'_>) {
    if flags & SIGV4_FLAG_NO_PATH_NORMALIZATION != 0 {
        settings.normalize_path = false;
    }
    if flags & SIGV4_FLAG_SINGLE_PATH_ENCODING != 0 {
        settings.path_encoding = PathEncoding::Single;
    }
}

fn sign_error(e: SignError) -> Fail {
    Fail(sigv4_status::InvalidArgument, e.to_string())
}

/// Checks the caller's buffer and copies `parts` (each NUL-terminated)
/// into it; `ptrs[i]` (when given) gets where part `i` went.
///
/// # Safety
/// `buf` is NULL or holds `buf_len` writable bytes; `needed` is NULL or valid.
unsafe fn write_parts(
    parts: &[&str],
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    ptrs: &mut [*const c_char],
) -> R<()> {
    let total: usize = parts.iter().map(|p| p.len() + 1).sum();
    if needed.is_null() {
        return fail(sigv4_status::NullPointer, "needed is NULL");
    }
    // SAFETY: non-NULL, valid per the contract.
    unsafe { *needed = total };
    if buf.is_null() && buf_len != 0 {
        return fail(
            sigv4_status::NullPointer,
            format!("buf is NULL but buf_len is {buf_len}; pass NULL, 0 to ask for the length"),
        );
    }
    if buf.is_null() || buf_len < total {
        return fail(
            sigv4_status::BufferTooSmall,
            format!("the output needs {total} bytes; the buffer has {buf_len}"),
        );
    }
    let mut at = 0usize;
    for (i, p) in parts.iter().enumerate() {
        // SAFETY: `at + p.len() + 1 <= total <= buf_len`.
        unsafe {
            let dst = buf.add(at);
            std::ptr::copy_nonoverlapping(p.as_ptr().cast::<c_char>(), dst, p.len());
            *dst.add(p.len()) = 0;
            if let Some(slot) = ptrs.get_mut(i) {
                *slot = dst.cast_const();
            }
        }
        at += p.len() + 1;
    }
    Ok(())
}

/// # Safety
/// See [`sigv4_sign`].
#[allow(clippy::too_many_arguments)]
unsafe fn sign_impl(
    signer: &mut Signer,
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    buf_out: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    out: *mut sigv4_signed_headers,
) -> R<()> {
    // SAFETY: forwarded contracts.
    let (args, creds, params) =
        unsafe { (request_args(req)?, creds_args(creds)?, params_args(params)?) };
    if out.is_null() {
        return fail(sigv4_status::NullPointer, "out is NULL");
    }
    let request = Request::new(args.method, args.url)
        .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?
        .with_headers(&args.headers)
        .with_payload(args.payload);
    with_scratch(|buf| {
        signer.sign(&request, &creds, &params, buf).map(|signed| {
            let mut parts = [""; 2 * SIGV4_MAX_SIGNED_HEADERS];
            let mut count = 0;
            for (name, value) in signed.headers().take(SIGV4_MAX_SIGNED_HEADERS) {
                parts[2 * count] = name;
                parts[2 * count + 1] = value;
                count += 1;
            }
            let mut ptrs = [std::ptr::null(); 2 * SIGV4_MAX_SIGNED_HEADERS];
            // SAFETY: forwarded contract.
            unsafe { write_parts(&parts[..2 * count], buf_out, buf_len, needed, &mut ptrs) }?;
            let mut result = sigv4_signed_headers {
                count,
                ..Default::default()
            };
            for (i, pair) in ptrs.chunks(2).take(count).enumerate() {
                result.headers[i] = sigv4_header {
                    name: pair[0],
                    value: pair[1],
                };
            }
            Ok(result)
        })
    })
    .map_err(sign_error)?
    .map(|result| {
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = result };
    })
}

/// # Safety
/// See [`sigv4_presign`].
#[allow(clippy::too_many_arguments)]
unsafe fn presign_impl(
    signer: &mut Signer,
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    expires_secs: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> R<()> {
    // SAFETY: forwarded contracts.
    let (args, creds, mut params) =
        unsafe { (request_args(req)?, creds_args(creds)?, params_args(params)?) };
    params.settings.content_sha256_header = false;
    let request = Request::new(args.method, args.url)
        .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?
        .with_headers(&args.headers)
        .with_payload(args.payload);
    let url = with_scratch(|buf| {
        signer
            .presign(&request, &creds, &params, expires_secs, buf)
            .map(|signed| append_query(args.url, signed.query()))
    })
    .map_err(sign_error)?;
    // SAFETY: forwarded contract.
    unsafe { write_parts(&[&url], buf, buf_len, needed, &mut []) }?;
    Ok(())
}

/// Signs `req` in headers. Writes the headers to add into `buf` and
/// describes them in `*out`.
///
/// # Safety
/// Every pointer is NULL or valid as documented on its type; `buf` holds
/// `buf_len` writable bytes (or is NULL with `buf_len` 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_sign(
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    out: *mut sigv4_signed_headers,
) -> sigv4_status {
    guard(|| {
        let mut signer = Signer::new();
        // SAFETY: forwarded contract.
        unsafe { sign_impl(&mut signer, req, creds, params, buf, buf_len, needed, out) }
    })
}

/// Presigns `req`: writes the URL with the signature in its query
/// (`X-Amz-Expires` = `expires_secs`, 1..=604800) into `buf`.
///
/// # Safety
/// As [`sigv4_sign`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_presign(
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    expires_secs: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> sigv4_status {
    guard(|| {
        let mut signer = Signer::new();
        // SAFETY: forwarded contract.
        unsafe {
            presign_impl(
                &mut signer,
                req,
                creds,
                params,
                expires_secs,
                buf,
                buf_len,
                needed,
            )
        }
    })
}

/// A signer that caches the signing key (one HMAC chain per day, region
/// and service). Thread-safe: calls on one handle from several threads
/// are serialised by a lock.
pub struct sigv4_signer {
    inner: Mutex<Signer>,
}

/// A new signer; free it with [`sigv4_signer_free`]. NULL only if a panic
/// was caught.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_signer_new() -> *mut sigv4_signer {
    catch_unwind(|| {
        Box::into_raw(Box::new(sigv4_signer {
            inner: Mutex::new(Signer::new()),
        }))
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Frees a signer (NULL is ignored).
///
/// # Safety
/// `signer` came from [`sigv4_signer_new`] and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_free(signer: *mut sigv4_signer) {
    if !signer.is_null() {
        // SAFETY: allocated by sigv4_signer_new, freed once.
        drop(unsafe { Box::from_raw(signer) });
    }
}

fn lock(signer: *const sigv4_signer) -> R<std::sync::MutexGuard<'static, Signer>> {
    let s: &'static sigv4_signer = nonnull(signer, "signer")?;
    Ok(match s.inner.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    })
}

/// [`sigv4_sign`] with the signer's key cache.
///
/// # Safety
/// As [`sigv4_sign`]; `signer` came from [`sigv4_signer_new`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_sign(
    signer: *const sigv4_signer,
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    out: *mut sigv4_signed_headers,
) -> sigv4_status {
    guard(|| {
        let mut s = lock(signer)?;
        // SAFETY: forwarded contract.
        unsafe { sign_impl(&mut s, req, creds, params, buf, buf_len, needed, out) }
    })
}

/// [`sigv4_presign`] with the signer's key cache.
///
/// # Safety
/// As [`sigv4_presign`]; `signer` came from [`sigv4_signer_new`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_presign(
    signer: *const sigv4_signer,
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    expires_secs: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> sigv4_status {
    guard(|| {
        let mut s = lock(signer)?;
        // SAFETY: forwarded contract.
        unsafe {
            presign_impl(
                &mut s,
                req,
                creds,
                params,
                expires_secs,
                buf,
                buf_len,
                needed,
            )
        }
    })
}

fn copy_short(dst: &mut [c_char; 129], s: &str) {
    let n = s.len().min(128);
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    dst[n] = 0;
}

/// Verifies a signed request (header or presigned) received at `now_unix`,
/// allowing 5 minutes of clock skew; `lookup` gives the secret of an
/// access key id (see [`sigv4_secret_lookup`]). On success fills `*out`.
///
/// The request's payload is what was received: `SIGV4_PAYLOAD_KIND_BYTES`
/// with the body, or `SIGV4_PAYLOAD_KIND_PRECOMPUTED` with its SHA-256.
/// The body is authenticated: through its hash in the signature, or, when
/// the request carries `x-amz-content-sha256`, by comparing the body's
/// hash with that signed value (`SIGV4_STATUS_PAYLOAD_HASH_MISMATCH`).
/// `UNSIGNED-PAYLOAD` is refused (`SIGV4_STATUS_UNSIGNED_PAYLOAD`) unless
/// `flags` has `SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD` or the scope is `s3`.
/// Not checked, and left to the server: replays within the window, the
/// scope's region and service, and what the key may do.
///
/// `flags`: `SIGV4_FLAG_NO_PATH_NORMALIZATION`,
/// `SIGV4_FLAG_SINGLE_PATH_ENCODING`, `SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD`.
///
/// # Safety
/// As [`sigv4_sign`]; `lookup` is a valid function; `ctx` is passed to it
/// as is.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_verify(
    req: *const sigv4_request,
    now_unix: u64,
    flags: sigv4_flags,
    lookup: sigv4_secret_lookup,
    ctx: *mut c_void,
    out: *mut sigv4_verified,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let args = unsafe { request_args(req) }?;
        let flags = check_flags(flags, VERIFY_FLAGS, "flags")?;
        let Some(lookup) = lookup else {
            return fail(sigv4_status::NullPointer, "lookup is NULL");
        };
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let now = Timestamp::from_unix_seconds(now_unix)
            .or_else(|e| fail(sigv4_status::InvalidArgument, format!("now_unix: {e}")))?;
        let request = Request::new(args.method, args.url)
            .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?
            .with_headers(&args.headers)
            .with_payload(args.payload);
        let mut signing = SigningSettings::default();
        apply_path_flags(flags, &mut signing);
        let mut verifier = Verifier::new(VerifySettings {
            signing,
            allow_unsigned_payload: flags & SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD != 0,
            ..VerifySettings::default()
        });
        // Why the lookup gave no secret, when it was not "unknown key".
        let mut lookup_failure: Option<Fail> = None;
        let result = verifier.verify(&request, now, |akid: &str| {
            let akid_c = CString::new(akid).ok()?;
            let mut secret = Zeroizing::new(vec![0u8; SIGV4_SECRET_MAX_LEN]);
            let mut len = 0usize;
            // SAFETY: the callback's contract; the buffer holds
            // SIGV4_SECRET_MAX_LEN bytes.
            let rc = unsafe {
                lookup(
                    ctx,
                    akid_c.as_ptr(),
                    secret.as_mut_ptr().cast::<c_char>(),
                    secret.len(),
                    &mut len,
                )
            };
            match rc {
                0 if len <= secret.len() => {
                    secret.truncate(len);
                    Some(secret)
                }
                0 => {
                    lookup_failure = Some(Fail(
                        sigv4_status::InvalidArgument,
                        format!(
                            "the secret lookup set *secret_len to {len}, more than the {SIGV4_SECRET_MAX_LEN}-byte buffer"
                        ),
                    ));
                    None
                }
                1 => None,
                other => {
                    lookup_failure = Some(Fail(
                        sigv4_status::Credentials,
                        format!("the secret lookup failed (it returned {other})"),
                    ));
                    None
                }
            }
        });
        let verified = match result {
            Ok(v) => v,
            Err(e) => {
                return Err(
                    lookup_failure.unwrap_or_else(|| Fail(verify_status(&e), e.to_string()))
                );
            }
        };
        let mut v = sigv4_verified {
            access_key_id: [0; 129],
            region: [0; 129],
            service: [0; 129],
            signed_at_unix: verified.signed_at.unix_seconds(),
            presigned: verified.presigned,
            unsigned_payload: verified.unsigned_payload,
        };
        copy_short(&mut v.access_key_id, verified.access_key_id.as_str());
        copy_short(&mut v.region, verified.region.as_str());
        copy_short(&mut v.service, verified.service.as_str());
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = v };
        Ok(())
    })
}

/// The status for each reason a verification fails.
fn verify_status(e: &VerifyError) -> sigv4_status {
    match e {
        VerifyError::Malformed(_) | VerifyError::UnsupportedAlgorithm => sigv4_status::Malformed,
        VerifyError::UnknownAccessKey => sigv4_status::UnknownAccessKey,
        VerifyError::Expired => sigv4_status::Expired,
        VerifyError::NotYetValid => sigv4_status::NotYetValid,
        VerifyError::SignatureMismatch => sigv4_status::SignatureMismatch,
        VerifyError::PayloadHashMismatch => sigv4_status::PayloadHashMismatch,
        VerifyError::UnsignedPayload => sigv4_status::UnsignedPayload,
        VerifyError::StreamingPayload => sigv4_status::StreamingPayload,
        _ => sigv4_status::InvalidArgument,
    }
}

/// A credentials provider (cached: credentials are fetched again only
/// when they near expiry). Thread-safe.
pub struct sigv4_provider {
    inner: Arc<dyn cred_providers::ProvideCredentials>,
}

/// Credentials obtained from a provider; the secret and token are zeroised
/// when freed. Immutable, so thread-safe to read.
pub struct sigv4_owned_credentials {
    access_key_id: CString,
    secret_access_key: Zeroizing<Vec<u8>>,
    session_token: Option<Zeroizing<Vec<u8>>>,
    expiry: i64,
}

/// The default chain (environment, profile, web identity, container,
/// IMDS) as the AWS SDKs run it; `profile` (or NULL for `AWS_PROFILE` /
/// `default`) selects the profile. Free with [`sigv4_provider_free`].
///
/// # Safety
/// `profile` is NULL or a NUL-terminated string; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_default(
    profile: *const c_char,
    out: *mut *mut sigv4_provider,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let profile = unsafe { opt_str_arg(profile, "profile") }?.map(str::to_string);
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let p = cred_providers::default_provider(profile);
        let boxed = Box::new(sigv4_provider { inner: Arc::new(p) });
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(boxed) };
        Ok(())
    })
}

/// The named profile only (static keys, `credential_process`, role chains,
/// web identity), from the shared config and credentials files. Free with
/// [`sigv4_provider_free`].
///
/// # Safety
/// `profile` is a NUL-terminated string; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_profile(
    profile: *const c_char,
    out: *mut *mut sigv4_provider,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let profile = unsafe { str_arg(profile, "profile") }?.to_string();
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let inner = cred_providers::ProfileProvider::new(
            Arc::new(cred_providers::ProcessEnv),
            Arc::new(cred_providers::RealFiles),
            Some(profile),
            Arc::new(cred_providers::transport::BlockingTransport::default()),
        );
        let cached = cred_providers::CachedProvider::new(Arc::new(inner));
        let boxed = Box::new(sigv4_provider {
            inner: Arc::new(cached),
        });
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(boxed) };
        Ok(())
    })
}

/// Frees a provider (NULL is ignored).
///
/// # Safety
/// `provider` came from this library and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_free(provider: *mut sigv4_provider) {
    if !provider.is_null() {
        // SAFETY: allocated by this library, freed once.
        drop(unsafe { Box::from_raw(provider) });
    }
}

/// Resolves credentials, blocking the calling thread (no async runtime is
/// started). Free the result with [`sigv4_owned_credentials_free`].
///
/// # Safety
/// `provider` came from this library; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_credentials(
    provider: *const sigv4_provider,
    out: *mut *mut sigv4_owned_credentials,
) -> sigv4_status {
    guard(|| {
        let p = nonnull(provider, "provider")?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let creds = cred_providers::provide_blocking(&*p.inner)
            .map_err(|e| Fail(sigv4_status::Credentials, e.to_string()))?;
        let nul = |s: &str| {
            let mut v = Zeroizing::new(Vec::with_capacity(s.len() + 1));
            v.extend_from_slice(s.as_bytes());
            v.push(0);
            v
        };
        let owned = sigv4_owned_credentials {
            access_key_id: CString::new(creds.access_key_id())
                .or_else(|_| fail(sigv4_status::Credentials, "the access key id holds a NUL"))?,
            secret_access_key: nul(creds.secret_access_key()),
            session_token: creds.session_token().map(nul),
            expiry: creds
                .expiry()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d: Duration| d.as_secs() as i64)
                .unwrap_or(-1),
        };
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(Box::new(owned)) };
        Ok(())
    })
}

/// A borrowed view of owned credentials, to pass to the signing
/// functions; valid until the credentials are freed. Returns
/// `SIGV4_STATUS_NULL_POINTER` if either pointer is NULL.
///
/// # Safety
/// `creds` came from [`sigv4_provider_credentials`]; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_view(
    creds: *const sigv4_owned_credentials,
    out: *mut sigv4_credentials,
) -> sigv4_status {
    guard(|| {
        let c = nonnull(creds, "credentials")?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let view = sigv4_credentials {
            access_key_id: c.access_key_id.as_ptr(),
            secret_access_key: c.secret_access_key.as_ptr().cast::<c_char>(),
            session_token: c
                .session_token
                .as_ref()
                .map(|t| t.as_ptr().cast::<c_char>())
                .unwrap_or(std::ptr::null()),
        };
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = view };
        Ok(())
    })
}

/// The expiry in Unix seconds, or -1 for credentials that do not expire
/// (or a NULL handle).
///
/// # Safety
/// `creds` is NULL or came from [`sigv4_provider_credentials`].
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_expiry(
    creds: *const sigv4_owned_credentials,
) -> i64 {
    // SAFETY: NULL or valid.
    unsafe { creds.as_ref() }.map(|c| c.expiry).unwrap_or(-1)
}

/// Frees credentials, zeroising the secret and token (NULL is ignored).
///
/// # Safety
/// `creds` came from [`sigv4_provider_credentials`] and is not used
/// afterwards (nor any view of it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_free(creds: *mut sigv4_owned_credentials) {
    if !creds.is_null() {
        // SAFETY: allocated by this library, freed once.
        drop(unsafe { Box::from_raw(creds) });
    }
}

/// Vault's AWS `iam` login payload (the JSON body of
/// `POST /v1/auth/aws/login`): a GetCallerIdentity request signed with
/// `creds` at `now_unix` for `role`. `sts_endpoint` may be NULL (the global
/// endpoint, region us-east-1); `server_id` may be NULL.
///
/// # Safety
/// As [`sigv4_sign`].
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sigv4_vault_login_payload(
    creds: *const sigv4_credentials,
    role: *const c_char,
    sts_endpoint: *const c_char,
    server_id: *const c_char,
    now_unix: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contracts.
        let (c, role, endpoint, server_id) = unsafe {
            (
                creds_args(creds)?,
                str_arg(role, "role")?,
                opt_str_arg(sts_endpoint, "sts_endpoint")?,
                opt_str_arg(server_id, "server_id")?,
            )
        };
        let mut opts = cred_providers::vault::LoginOptions::new(role);
        if let Some(e) = endpoint {
            opts.sts_endpoint = e.to_string();
            opts.sts_region = cred_providers::vault::LoginOptions::region_of_endpoint(e);
        }
        opts.server_id = server_id.map(str::to_string);
        let owned = cred_providers::Credentials::new(
            c.access_key_id,
            c.secret_access_key,
            c.session_token.map(str::to_string),
            None,
            "ffi",
        );
        let now = UNIX_EPOCH + Duration::from_secs(now_unix);
        let payload = cred_providers::vault::login_payload(&opts, &owned, now)
            .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?;
        let json = Zeroizing::new(
            serde_json::to_string(&payload)
                .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?,
        );
        // SAFETY: forwarded contract.
        unsafe { write_parts(&[json.as_str()], buf, buf_len, needed, &mut []) }?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
