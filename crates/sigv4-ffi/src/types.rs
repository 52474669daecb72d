//! The types that cross the boundary: requests, credentials, parameters,
//! outputs, and the integer constants that stand for enums and flags.

use std::ffi::{c_char, c_int, c_void};

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
/// the `flags` argument of `sigv4_verify`. 0 gives the rules of most
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

pub(crate) const SIGN_FLAGS: sigv4_flags = SIGV4_FLAG_CONTENT_SHA256_HEADER
    | SIGV4_FLAG_S3_RULES
    | SIGV4_FLAG_NO_PATH_NORMALIZATION
    | SIGV4_FLAG_SINGLE_PATH_ENCODING
    | SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING;
pub(crate) const VERIFY_FLAGS: sigv4_flags = SIGV4_FLAG_NO_PATH_NORMALIZATION
    | SIGV4_FLAG_SINGLE_PATH_ENCODING
    | SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD;

/// The size of the buffer a `sigv4_secret_lookup` writes the secret
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
pub const SIGV4_MAX_SIGNED_HEADERS: usize = 5;

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
    /// True for a SigV4a (`AWS4-ECDSA-P256-SHA256`) signature; `region` is
    /// then the signed region set (`us-east-1,us-west-2`, `*`).
    pub sigv4a: bool,
}

/// Looks up the secret for `access_key_id` (NUL-terminated UTF-8), called
/// once by `sigv4_verify` on the verifying thread with its `ctx`:
///
/// * found: write the secret into `secret_buf` (`secret_buf_len` bytes,
///   `SIGV4_SECRET_MAX_LEN`; no NUL needed), set `*secret_len` to its
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
