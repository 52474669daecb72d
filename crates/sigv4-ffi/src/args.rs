//! Reading the caller's arguments (checked: NULLs, UTF-8, enum and flag
//! values) and writing into the caller's buffers.

use std::ffi::{CStr, c_char};

use sigv4_core::{
    CredentialsRef, PathEncoding, Payload, SessionTokenMode, SignError, SigningParams,
    SigningSettings, Timestamp,
};

use crate::status::{Fail, R, fail, sigv4_status};
use crate::types::{
    SIGN_FLAGS, SIGV4_FLAG_CONTENT_SHA256_HEADER, SIGV4_FLAG_NO_PATH_NORMALIZATION,
    SIGV4_FLAG_S3_RULES, SIGV4_FLAG_SESSION_TOKEN_AFTER_SIGNING, SIGV4_FLAG_SINGLE_PATH_ENCODING,
    SIGV4_PAYLOAD_KIND_BYTES, SIGV4_PAYLOAD_KIND_PRECOMPUTED, SIGV4_PAYLOAD_KIND_UNSIGNED,
    sigv4_credentials, sigv4_flags, sigv4_params, sigv4_request,
};

/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, what: &str) -> R<&'a str> {
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
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, what: &str) -> R<Option<&'a str>> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: forwarded contract.
        unsafe { str_arg(p, what) }.map(Some)
    }
}

pub(crate) fn nonnull<'a, T>(p: *const T, what: &str) -> R<&'a T> {
    // SAFETY: the caller passes a valid pointer or NULL.
    unsafe { p.as_ref() }.ok_or(Fail(sigv4_status::NullPointer, format!("{what} is NULL")))
}

/// The request's parts, borrowed from C.
pub(crate) struct RequestArgs<'a> {
    pub(crate) method: &'a str,
    pub(crate) url: &'a str,
    pub(crate) headers: Vec<(&'a str, &'a str)>,
    pub(crate) payload: Payload<'a>,
}

impl RequestArgs<'_> {
    /// The request they describe.
    pub(crate) fn request(&self) -> R<sigv4_core::Request<'_>> {
        Ok(sigv4_core::Request::new(self.method, self.url)
            .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?
            .with_headers(&self.headers)
            .with_payload(self.payload))
    }
}

/// # Safety
/// `req` points to a valid `sigv4_request` whose pointers are valid.
pub(crate) unsafe fn request_args<'a>(req: *const sigv4_request) -> R<RequestArgs<'a>> {
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
pub(crate) unsafe fn creds_args<'a>(c: *const sigv4_credentials) -> R<CredentialsRef<'a>> {
    let c = nonnull(c, "credentials")?;
    // SAFETY: per the caller's contract.
    let akid = unsafe { str_arg(c.access_key_id, "credentials.access_key_id") }?;
    // SAFETY: per the caller's contract.
    let secret = unsafe { str_arg(c.secret_access_key, "credentials.secret_access_key") }?;
    // SAFETY: per the caller's contract.
    let token = unsafe { opt_str_arg(c.session_token, "credentials.session_token") }?;
    let mut creds = CredentialsRef::new(akid, secret);
    if let Some(t) = token {
        creds = creds.with_session_token(t);
    }
    Ok(creds)
}

/// # Safety
/// `p` points to a valid `sigv4_params`.
pub(crate) unsafe fn params_args<'a>(p: *const sigv4_params) -> R<SigningParams<'a>> {
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
pub(crate) fn check_flags(flags: sigv4_flags, allowed: sigv4_flags, what: &str) -> R<sigv4_flags> {
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

pub(crate) fn apply_path_flags(flags: sigv4_flags, settings: &mut SigningSettings<'_>) {
    if flags & SIGV4_FLAG_NO_PATH_NORMALIZATION != 0 {
        settings.normalize_path = false;
    }
    if flags & SIGV4_FLAG_SINGLE_PATH_ENCODING != 0 {
        settings.path_encoding = PathEncoding::Single;
    }
}

pub(crate) fn sign_error(e: SignError) -> Fail {
    Fail(sigv4_status::InvalidArgument, e.to_string())
}

/// Checks the caller's buffer and copies `parts` (each NUL-terminated)
/// into it; `ptrs[i]` (when given) gets where part `i` went.
///
/// # Safety
/// `buf` is NULL or holds `buf_len` writable bytes; `needed` is NULL or valid.
pub(crate) unsafe fn write_parts(
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
