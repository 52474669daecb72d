//! Server-side verification with a secret-lookup callback.

use std::ffi::{CString, c_char, c_void};

use sigv4_core::{Request, SigningSettings, Timestamp, Verifier, VerifyError, VerifySettings};
use zeroize::Zeroizing;

use crate::args::{apply_path_flags, check_flags, request_args};
use crate::status::{Fail, fail, guard, sigv4_status};
use crate::types::{
    SIGV4_FLAG_ALLOW_UNSIGNED_PAYLOAD, SIGV4_SECRET_MAX_LEN, VERIFY_FLAGS, sigv4_flags,
    sigv4_request, sigv4_secret_lookup, sigv4_verified,
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
