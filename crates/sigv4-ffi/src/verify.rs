//! Server-side verification with a secret-lookup callback.

use std::ffi::{CString, c_char, c_void};

use sigv4_core::{
    Request, SigV4aKey, SigV4aPublicKey, SigningSettings, Timestamp, Verified, Verifier,
    VerifyError, VerifySettings,
};
use zeroize::Zeroizing;

use crate::args::{apply_path_flags, check_flags, creds_args, request_args};
use crate::status::{Fail, R, fail, guard, sigv4_status};
use crate::types::{
    SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD, SIGV4_SECRET_MAX_LEN, VERIFY_FLAGS, sigv4_credentials,
    sigv4_flags, sigv4_request, sigv4_secret_lookup, sigv4_verified,
};

pub(crate) fn copy_short(dst: &mut [c_char; 129], s: &str) {
    let n = s.len().min(128);
    for (d, b) in dst.iter_mut().zip(s.as_bytes()[..n].iter()) {
        *d = *b as c_char;
    }
    dst[n] = 0;
}

/// Verifies a signed request (header or presigned) received at `now_unix`,
/// allowing 5 minutes of clock skew; `lookup` gives the secret of an
/// access key id (see `sigv4_secret_lookup`). On success fills `*out`.
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
/// As `sigv4_sign`; `lookup` is a valid function; `ctx` is passed to it
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
    let check = |verifier: &mut Verifier<'static>, request: &Request<'_>, now: Timestamp| {
        let Some(lookup) = lookup else {
            return fail(sigv4_status::NullPointer, "lookup is NULL");
        };
        // Why the lookup gave no secret, when it was not "unknown key".
        let mut lookup_failure: Option<Fail> = None;
        let result = verifier.verify(request, now, |akid: &str| {
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
        result.map_err(|e| lookup_failure.unwrap_or_else(|| Fail(verify_status(&e), e.to_string())))
    };
    // SAFETY: forwarded contract.
    unsafe { verify_into(req, now_unix, flags, out, check) }
}

/// What both verify calls do around the check itself: read the request,
/// flags and time, run `check`, and write its result into `*out`.
///
/// # Safety
/// As `sigv4_verify` for `req` and `out`.
unsafe fn verify_into(
    req: *const sigv4_request,
    now_unix: u64,
    flags: sigv4_flags,
    out: *mut sigv4_verified,
    check: impl FnOnce(&mut Verifier<'static>, &Request<'_>, Timestamp) -> R<Verified>,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let args = unsafe { request_args(req) }?;
        let flags = check_flags(flags, VERIFY_FLAGS, "flags")?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let now = Timestamp::from_unix_seconds(now_unix)
            .or_else(|e| fail(sigv4_status::InvalidArgument, format!("now_unix: {e}")))?;
        let verified = check(&mut verifier(flags), &args.request()?, now)?;
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = verified_out(&verified) };
        Ok(())
    })
}

fn verifier(flags: sigv4_flags) -> Verifier<'static> {
    let mut signing = SigningSettings::default();
    apply_path_flags(flags, &mut signing);
    Verifier::new(VerifySettings {
        signing,
        allow_unsigned_payload: flags & SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD != 0,
        ..VerifySettings::default()
    })
}

fn verified_out(verified: &Verified) -> sigv4_verified {
    let mut v = sigv4_verified {
        access_key_id: [0; 129],
        region: [0; 129],
        service: [0; 129],
        signed_at_unix: verified.signed_at.unix_seconds(),
        presigned: verified.presigned,
        unsigned_payload: verified.unsigned_payload,
        sigv4a: verified.sigv4a,
    };
    copy_short(&mut v.access_key_id, verified.access_key_id.as_str());
    copy_short(&mut v.region, verified.region.as_str());
    copy_short(&mut v.service, verified.service.as_str());
    v
}

/// Verifies a SigV4a request with the signer's public key instead of a
/// secret: `public_key` is its SEC1 encoding (`public_key_len` 65 bytes,
/// `04‖X‖Y`, as `sigv4_v4a_public_key` writes it, or 33 compressed).
/// Otherwise as `sigv4_verify`; a SigV4 (HMAC) request is
/// `SIGV4_STATUS_MALFORMED`, as no public key checks it.
///
/// # Safety
/// As `sigv4_sign`; `public_key` holds `public_key_len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_verify_v4a_public_key(
    req: *const sigv4_request,
    now_unix: u64,
    flags: sigv4_flags,
    public_key: *const u8,
    public_key_len: usize,
    out: *mut sigv4_verified,
) -> sigv4_status {
    let check = |verifier: &mut Verifier<'static>, request: &Request<'_>, now: Timestamp| {
        if public_key.is_null() {
            return fail(sigv4_status::NullPointer, "public_key is NULL");
        }
        // SAFETY: non-NULL, `public_key_len` readable bytes per the contract.
        let sec1 = unsafe { std::slice::from_raw_parts(public_key, public_key_len) };
        let key = SigV4aPublicKey::from_sec1_bytes(sec1)
            .map_err(|e| Fail(sigv4_status::InvalidArgument, format!("public_key: {e}")))?;
        verifier
            .verify_with_public_key(request, now, |_| Some(key))
            .map_err(|e| Fail(verify_status(&e), e.to_string()))
    };
    // SAFETY: forwarded contract.
    unsafe { verify_into(req, now_unix, flags, out, check) }
}

/// Writes the SigV4a public key of `creds` (derived from the access key
/// pair; the session token plays no part) into `out`: 65 bytes, SEC1
/// uncompressed `04‖X‖Y`. A server stores it to verify SigV4a requests
/// without the secret (`sigv4_verify_v4a_public_key`).
///
/// # Safety
/// `creds` is valid as documented on its type; `out` holds 65 writable
/// bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_v4a_public_key(
    creds: *const sigv4_credentials,
    out: *mut u8,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let creds = unsafe { creds_args(creds) }?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let key = SigV4aKey::derive(creds.access_key_id, creds.secret_access_key.as_bytes())
            .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?;
        let bytes = key.public_key().to_uncompressed();
        // SAFETY: `out` holds 65 writable bytes per the contract.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), out, bytes.len()) };
        Ok(())
    })
}

/// The status for each reason a verification fails.
pub(crate) fn verify_status(e: &VerifyError) -> sigv4_status {
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
