//! Signing and presigning, one-shot or through a signer handle.

use std::ffi::c_char;
use std::panic::catch_unwind;
use std::sync::Mutex;

use sigv4_core::{
    CredentialsRef, HeaderSignature, QuerySignature, Request, SigV4aSigner, SignError, Signer,
    SigningParams, append_query, with_scratch,
};

use crate::args::{creds_args, nonnull, params_args, request_args, sign_error, write_parts};
use crate::status::{R, fail, guard, sigv4_status};
use crate::types::{
    SIGV4_MAX_SIGNED_HEADERS, sigv4_credentials, sigv4_header, sigv4_params, sigv4_request,
    sigv4_signed_headers,
};

/// SigV4 or SigV4a, with a cached key.
pub(crate) trait AnySigner {
    fn sign_with<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'s>,
        params: &SigningParams<'_>,
        buf: &'s mut [u8],
    ) -> Result<HeaderSignature<'s>, SignError>;

    fn presign_with<'s>(
        &mut self,
        request: &Request<'_>,
        credentials: &CredentialsRef<'_>,
        params: &SigningParams<'_>,
        expires_secs: u64,
        buf: &'s mut [u8],
    ) -> Result<QuerySignature<'s>, SignError>;
}

macro_rules! any_signer {
    ($t:ty) => {
        impl AnySigner for $t {
            fn sign_with<'s>(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'s>,
                params: &SigningParams<'_>,
                buf: &'s mut [u8],
            ) -> Result<HeaderSignature<'s>, SignError> {
                self.sign(request, credentials, params, buf)
            }

            fn presign_with<'s>(
                &mut self,
                request: &Request<'_>,
                credentials: &CredentialsRef<'_>,
                params: &SigningParams<'_>,
                expires_secs: u64,
                buf: &'s mut [u8],
            ) -> Result<QuerySignature<'s>, SignError> {
                self.presign(request, credentials, params, expires_secs, buf)
            }
        }
    };
}
any_signer!(Signer);
any_signer!(SigV4aSigner);

/// # Safety
/// See `sigv4_sign`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn sign_impl(
    signer: &mut impl AnySigner,
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
    let request = args.request()?;
    with_scratch(|buf| {
        signer
            .sign_with(&request, &creds, &params, buf)
            .map(|signed| {
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
/// See `sigv4_presign`.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn presign_impl(
    signer: &mut impl AnySigner,
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
    let request = args.request()?;
    let url = with_scratch(|buf| {
        signer
            .presign_with(&request, &creds, &params, expires_secs, buf)
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
/// As `sigv4_sign`.
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

/// Signs `req` with SigV4a (`AWS4-ECDSA-P256-SHA256`): as `sigv4_sign`,
/// with `params->region` the region set (`us-east-1`,
/// `us-east-1,us-west-2` or `*`), signed in `X-Amz-Region-Set`, which is
/// among the headers to add. Signatures are deterministic (RFC 6979).
/// Deriving the key costs a P-256 scalar multiplication: a
/// `sigv4_signer` keeps it.
///
/// # Safety
/// As `sigv4_sign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_sign_v4a(
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
    out: *mut sigv4_signed_headers,
) -> sigv4_status {
    guard(|| {
        let mut signer = SigV4aSigner::new();
        // SAFETY: forwarded contract.
        unsafe { sign_impl(&mut signer, req, creds, params, buf, buf_len, needed, out) }
    })
}

/// Presigns `req` with SigV4a: as `sigv4_presign`, with `params->region`
/// the region set (sent as `X-Amz-Region-Set` in the query).
///
/// # Safety
/// As `sigv4_sign`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_presign_v4a(
    req: *const sigv4_request,
    creds: *const sigv4_credentials,
    params: *const sigv4_params,
    expires_secs: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> sigv4_status {
    guard(|| {
        let mut signer = SigV4aSigner::new();
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

/// A signer that caches the signing keys (one HMAC chain per day, region
/// and service; the SigV4a key per access key pair). Thread-safe: calls
/// on one handle from several threads are serialised by a lock.
pub struct sigv4_signer {
    inner: Mutex<Signer>,
    v4a: Mutex<SigV4aSigner>,
}

/// A new signer; free it with `sigv4_signer_free`. NULL only if a panic
/// was caught.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_signer_new() -> *mut sigv4_signer {
    catch_unwind(|| {
        Box::into_raw(Box::new(sigv4_signer {
            inner: Mutex::new(Signer::new()),
            v4a: Mutex::new(SigV4aSigner::new()),
        }))
    })
    .unwrap_or(std::ptr::null_mut())
}

/// Frees a signer (NULL is ignored).
///
/// # Safety
/// `signer` came from `sigv4_signer_new` and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_free(signer: *mut sigv4_signer) {
    if !signer.is_null() {
        // SAFETY: allocated by sigv4_signer_new, freed once.
        drop(unsafe { Box::from_raw(signer) });
    }
}

pub(crate) fn lock(signer: *const sigv4_signer) -> R<std::sync::MutexGuard<'static, Signer>> {
    let s: &'static sigv4_signer = nonnull(signer, "signer")?;
    Ok(match s.inner.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    })
}

fn lock_v4a(signer: *const sigv4_signer) -> R<std::sync::MutexGuard<'static, SigV4aSigner>> {
    let s: &'static sigv4_signer = nonnull(signer, "signer")?;
    Ok(match s.v4a.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    })
}

/// `sigv4_sign_v4a` with the signer's key cache.
///
/// # Safety
/// As `sigv4_sign`; `signer` came from `sigv4_signer_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_sign_v4a(
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
        let mut s = lock_v4a(signer)?;
        // SAFETY: forwarded contract.
        unsafe { sign_impl(&mut *s, req, creds, params, buf, buf_len, needed, out) }
    })
}

/// `sigv4_presign_v4a` with the signer's key cache.
///
/// # Safety
/// As `sigv4_presign`; `signer` came from `sigv4_signer_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_signer_presign_v4a(
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
        let mut s = lock_v4a(signer)?;
        // SAFETY: forwarded contract.
        unsafe {
            presign_impl(
                &mut *s,
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

/// `sigv4_sign` with the signer's key cache.
///
/// # Safety
/// As `sigv4_sign`; `signer` came from `sigv4_signer_new`.
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
        unsafe { sign_impl(&mut *s, req, creds, params, buf, buf_len, needed, out) }
    })
}

/// `sigv4_presign` with the signer's key cache.
///
/// # Safety
/// As `sigv4_presign`; `signer` came from `sigv4_signer_new`.
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
                &mut *s,
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
