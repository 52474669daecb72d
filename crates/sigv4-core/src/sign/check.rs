//! Input checks, and the payload hash line.

use crate::encode;
use crate::request::{Payload, Request};

use super::{
    HMAC_SHA256, MAX_CREDENTIAL_ID, MAX_NAME, SignError, SignatureAlgorithm, SigningParams,
    UNSIGNED_PAYLOAD,
};

/// The bytes of region and service names: letters, digits, `-`, `_`, `.`.
static NAME_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
        i += 1;
    }
    t
};

pub(super) fn valid_name(s: &str) -> bool {
    (1..=MAX_NAME).contains(&s.len())
        && s.bytes().fold(true, |ok, b| ok & NAME_BYTE[usize::from(b)])
}

/// Visible ASCII (0x21..=0x7e), non-empty.
pub(super) fn printable(s: &str) -> bool {
    !s.is_empty() && encode::all_bytes(s.as_bytes(), encode::is_visible)
}

pub(crate) fn check_scope(region: &str, service: &str) -> Result<(), SignError> {
    if !valid_name(region) {
        return Err(SignError::InvalidRegion);
    }
    check_service(service)
}

/// The service of a scope (SigV4a's has no region beside it).
pub(crate) fn check_service(service: &str) -> Result<(), SignError> {
    if valid_name(service) {
        Ok(())
    } else {
        Err(SignError::InvalidService)
    }
}

/// A SigV4a region set: `*`, or comma-separated region names (a `*` may
/// stand for part of a name, as in `us-*`).
pub(crate) fn check_region_set(set: &str) -> Result<(), SignError> {
    let ok = (1..=1024).contains(&set.len())
        && set.split(',').all(|r| {
            (1..=MAX_NAME).contains(&r.len())
                && encode::all_bytes(r.as_bytes(), |b| {
                    b.is_ascii_alphanumeric()
                        | (b == b'-')
                        | (b == b'_')
                        | (b == b'.')
                        | (b == b'*')
                })
        });
    if ok {
        Ok(())
    } else {
        Err(SignError::InvalidRegion)
    }
}

pub(super) fn check<A: SignatureAlgorithm + ?Sized>(
    alg: &A,
    request: &Request<'_>,
    params: &SigningParams<'_>,
    token: Option<&str>,
    names_known: bool,
) -> Result<(), SignError> {
    if names_known {
        request.validate_headers_with::<false>()?;
    } else {
        request.validate_headers()?;
    }
    if alg.signs_region_set() {
        check_region_set(params.region)?;
        check_service(params.service)?;
    } else {
        check_scope(params.region, params.service)?;
    }
    let name = alg.name();
    // The built-in name is known to be good; another is checked.
    if name != HMAC_SHA256 && (name.len() > MAX_NAME || !printable(name)) {
        return Err(SignError::InvalidAlgorithm);
    }
    let id = alg.credential_id();
    if id.len() > MAX_CREDENTIAL_ID
        || id.is_empty()
        || !encode::all_bytes(id.as_bytes(), |b| {
            encode::is_visible(b) & (b != b'/') & (b != b',')
        })
    {
        return Err(SignError::InvalidCredentialId);
    }
    if token.is_some_and(|t| !printable(t)) {
        return Err(SignError::InvalidSessionToken);
    }
    Ok(())
}

/// SHA-256 of the empty string (most GET, HEAD and DELETE requests).
pub(crate) const EMPTY_SHA256: &str =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The payload hash line: from `x-amz-content-sha256` if the request has
/// one, else from the payload. Bytes, all visible ASCII: the line only
/// goes into the canonical request, and into a header value when the
/// signer adds `x-amz-content-sha256`.
pub(crate) fn payload_hash<'p>(
    request: &Request<'p>,
    scratch: &'p mut [u8; 64],
) -> Result<&'p [u8], SignError> {
    if let Some(v) = request.header_lower("x-amz-content-sha256") {
        let v = v.trim_matches([' ', '\t']);
        return if printable(v) && v.len() <= 64 {
            Ok(v.as_bytes())
        } else {
            Err(SignError::InvalidPayloadHash)
        };
    }
    match request.payload() {
        Payload::Bytes([]) => Ok(EMPTY_SHA256.as_bytes()),
        Payload::Bytes(body) => {
            let digest = crate::sha::sha256(body);
            Ok(encode::hex_bytes(&digest, scratch))
        }
        Payload::Precomputed(h) if printable(h) && h.len() <= 64 => Ok(h.as_bytes()),
        Payload::Precomputed(_) => Err(SignError::InvalidPayloadHash),
        Payload::Unsigned => Ok(UNSIGNED_PAYLOAD.as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    #[test]
    fn the_empty_payload_hash_is_sha256_of_nothing() {
        let mut hex = [0u8; 64];
        assert_eq!(
            EMPTY_SHA256,
            encode::hex_lower(&Sha256::digest(b""), &mut hex)
        );
    }
}
