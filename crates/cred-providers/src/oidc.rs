//! Web identity set-up and diagnosis, without I/O: the OIDC issuer's
//! documents for a Kubernetes service-account signer (EKS IRSA, the
//! OpenShift Cloud Credential Operator), a role's trust policy for it, and
//! a local check of a projected service-account token — the usual reasons
//! `AssumeRoleWithWebIdentity` answers only `InvalidIdentityToken`.
//!
//! ```
//! use cred_providers::oidc;
//! let doc = oidc::discovery("https://oidc.example.com/id/ABC");
//! assert_eq!(doc["jwks_uri"], "https://oidc.example.com/id/ABC/keys.json");
//! let policy = oidc::trust_policy(
//!     "arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/ABC",
//!     "payments",
//!     "api",
//!     oidc::DEFAULT_AUDIENCE,
//! )?;
//! assert_eq!(
//!     policy["Statement"][0]["Condition"]["StringEquals"]["oidc.example.com/id/ABC:sub"],
//!     "system:serviceaccount:payments:api"
//! );
//! # Ok::<(), oidc::OidcError>(())
//! ```

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use spki::der::asn1::UintRef;
use spki::der::{AnyRef, Decode};

/// The audience STS expects in a web identity token by default.
pub const DEFAULT_AUDIENCE: &str = "sts.amazonaws.com";

const RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const P256: &str = "1.2.840.10045.3.1.7";
const P384: &str = "1.3.132.0.34";

/// Why a key, a document or a policy could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OidcError {
    /// The public key is not a PEM or DER SubjectPublicKeyInfo of an RSA,
    /// P-256 or P-384 key.
    #[error("public key: {0}")]
    Key(String),
    /// An argument is not what it must be (an ARN, a service account).
    #[error("{0}")]
    Invalid(String),
}

/// One JSON Web Key, as an OIDC issuer publishes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    /// `RSA` or `EC`.
    pub kty: String,
    /// The key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// `RS256`, `ES256` or `ES384`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// RSA modulus (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA exponent (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// EC curve (`P-256`, `P-384`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// EC x coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// EC y coordinate (base64url).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

/// A JSON Web Key Set (`keys.json`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The key id Kubernetes gives a service-account signing key: the unpadded
/// base64url SHA-256 of its DER SubjectPublicKeyInfo.
pub fn key_id(spki_der: &[u8]) -> String {
    b64(&Sha256::digest(spki_der))
}

/// The JWK of a public key given as PEM (`-----BEGIN PUBLIC KEY-----`) or
/// DER SubjectPublicKeyInfo.
pub fn jwk_from_public_key(key: &[u8]) -> Result<Jwk, OidcError> {
    let der = if key.trim_ascii_start().starts_with(b"-----BEGIN") {
        let (label, der) = spki::der::pem::decode_vec(key)
            .map_err(|e| OidcError::Key(format!("not PEM ({e})")))?;
        if label != "PUBLIC KEY" {
            return Err(OidcError::Key(format!(
                "a {label} PEM block; expected PUBLIC KEY (openssl pkey -pubout)"
            )));
        }
        der
    } else {
        key.to_vec()
    };
    let info = spki::SubjectPublicKeyInfoRef::from_der(&der)
        .map_err(|e| OidcError::Key(format!("not a SubjectPublicKeyInfo ({e})")))?;
    let bits = info
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| OidcError::Key("the key bits are not whole bytes".into()))?;
    let kid = Some(key_id(&der));
    let sig = Some("sig".to_string());
    match info.algorithm.oid.to_string().as_str() {
        RSA_ENCRYPTION => {
            let (n, e) = AnyRef::from_der(bits)
                .and_then(|any| {
                    any.sequence(|r| {
                        let n = UintRef::decode(r)?;
                        let e = UintRef::decode(r)?;
                        Ok((n.as_bytes().to_vec(), e.as_bytes().to_vec()))
                    })
                })
                .map_err(|e| OidcError::Key(format!("not an RSA public key ({e})")))?;
            Ok(Jwk {
                key_use: sig,
                kty: "RSA".into(),
                kid,
                alg: Some("RS256".into()),
                n: Some(b64(&n)),
                e: Some(b64(&e)),
                crv: None,
                x: None,
                y: None,
            })
        }
        EC_PUBLIC_KEY => {
            let curve = info
                .algorithm
                .parameters
                .and_then(|p| p.decode_as::<spki::ObjectIdentifier>().ok())
                .map(|oid| oid.to_string());
            let (crv, alg, size) = match curve.as_deref() {
                Some(P256) => ("P-256", "ES256", 32),
                Some(P384) => ("P-384", "ES384", 48),
                _ => {
                    return Err(OidcError::Key(
                        "an EC key on a curve other than P-256 or P-384".into(),
                    ));
                }
            };
            if bits.len() != 1 + 2 * size || bits[0] != 4 {
                return Err(OidcError::Key(
                    "the EC point is not an uncompressed point of the curve".into(),
                ));
            }
            Ok(Jwk {
                key_use: sig,
                kty: "EC".into(),
                kid,
                alg: Some(alg.into()),
                n: None,
                e: None,
                crv: Some(crv.into()),
                x: Some(b64(&bits[1..=size])),
                y: Some(b64(&bits[1 + size..])),
            })
        }
        other => Err(OidcError::Key(format!(
            "algorithm {other}: only RSA, P-256 and P-384 keys sign service-account tokens"
        ))),
    }
}

/// `.well-known/openid-configuration` for `issuer` (its keys at
/// `{issuer}/keys.json`).
pub fn discovery(issuer: &str) -> Value {
    let issuer = issuer.trim_end_matches('/');
    json!({
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/keys.json"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256", "ES384"],
        "claims_supported": ["sub", "iss"],
    })
}

/// The trust policy of a role that the service account `namespace/name`
/// assumes with web identity through the OIDC provider `provider_arn`
/// (`arn:aws:iam::ACCOUNT:oidc-provider/ISSUER-HOST-AND-PATH`), for tokens
/// with audience `audience`.
pub fn trust_policy(
    provider_arn: &str,
    namespace: &str,
    name: &str,
    audience: &str,
) -> Result<Value, OidcError> {
    let issuer = provider_arn
        .strip_prefix("arn:")
        .and_then(|r| r.split_once(":iam::"))
        .and_then(|(_, r)| r.split_once(":oidc-provider/"))
        .map(|(_, issuer)| issuer)
        .filter(|i| !i.is_empty())
        .ok_or_else(|| {
            OidcError::Invalid(format!(
                "{provider_arn:?} is not an OIDC provider ARN (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER)"
            ))
        })?;
    let valid = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    };
    if !valid(namespace) || !valid(name) {
        return Err(OidcError::Invalid(format!(
            "{namespace}:{name} is not a Kubernetes namespace and service account name"
        )));
    }
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {
                format!("{issuer}:sub"): format!("system:serviceaccount:{namespace}:{name}"),
                format!("{issuer}:aud"): audience,
            }},
        }],
    }))
}

/// Why a token failed the local check; [`check`](Self::check) names the
/// check as the usual diagnosis does.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not three base64url parts of JSON.
    #[error("malformed token: {0}")]
    Malformed(&'static str),
    /// No key of the set verifies it (unknown `kid`, another algorithm, a
    /// bad signature).
    #[error("signature: {0}")]
    Signature(String),
    /// The issuer is not the expected one.
    #[error("iss: the token's issuer is {found:?}, not {expected:?}")]
    Issuer {
        /// What the token says.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The audience is not the expected one.
    #[error("aud: the token's audience is {found}, which does not include {expected:?}")]
    Audience {
        /// What the token says.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// Expired.
    #[error(
        "exp: the token expired at {exp} (Unix time), {late}s before now, beyond the {leeway}s clock skew allowed"
    )]
    Expired {
        /// `exp`.
        exp: u64,
        /// How long ago.
        late: u64,
        /// The skew allowed.
        leeway: u64,
    },
    /// Not valid yet.
    #[error(
        "nbf: the token is valid from {nbf} (Unix time), {early}s from now, beyond the {leeway}s clock skew allowed"
    )]
    NotYetValid {
        /// `nbf`.
        nbf: u64,
        /// How far ahead.
        early: u64,
        /// The skew allowed.
        leeway: u64,
    },
}

impl TokenError {
    /// The failing check: `malformed`, `signature`, `iss`, `aud`, `exp` or
    /// `nbf`.
    pub fn check(&self) -> &'static str {
        match self {
            TokenError::Malformed(_) => "malformed",
            TokenError::Signature(_) => "signature",
            TokenError::Issuer { .. } => "iss",
            TokenError::Audience { .. } => "aud",
            TokenError::Expired { .. } => "exp",
            TokenError::NotYetValid { .. } => "nbf",
        }
    }
}

/// What a token must be.
#[derive(Clone, Debug)]
pub struct TokenCheck<'a> {
    /// The issuer (`iss`).
    pub issuer: &'a str,
    /// An audience it must name (`aud`).
    pub audience: &'a str,
    /// The time to check `exp` and `nbf` against.
    pub now: SystemTime,
    /// How far the clocks may differ.
    pub leeway: Duration,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
}

/// Checks `token` (a compact JWS, as in a projected service-account token
/// file) against the keys `jwks` and `check`: signature, `iss`, `aud`,
/// `exp`, `nbf`, in that order. Returns the claims.
pub fn check_token(token: &str, jwks: &Jwks, check: &TokenCheck<'_>) -> Result<Value, TokenError> {
    let token = token.trim();
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenError::Malformed(
            "a token has three dot-separated parts",
        ));
    };
    let decode = |part: &str, what: &'static str| {
        URL_SAFE_NO_PAD
            .decode(part)
            .map_err(|_| TokenError::Malformed(what))
    };
    let header: Header = serde_json::from_slice(&decode(h, "the header is not base64url")?)
        .map_err(|_| TokenError::Malformed("the header is not JSON with an alg"))?;
    let claims: Value = serde_json::from_slice(&decode(p, "the claims are not base64url")?)
        .map_err(|_| TokenError::Malformed("the claims are not JSON"))?;
    let signature = decode(s, "the signature is not base64url")?;
    let signed = &token[..h.len() + 1 + p.len()];

    let candidates: Vec<&Jwk> = jwks
        .keys
        .iter()
        .filter(|k| header.kid.is_none() || k.kid == header.kid)
        .collect();
    if candidates.is_empty() {
        return Err(TokenError::Signature(format!(
            "no key in the set has the token's kid {:?}",
            header.kid.unwrap_or_default()
        )));
    }
    let mut why = String::from("no key of the set verifies it");
    let verified =
        candidates.iter().any(
            |k| match verify(k, &header.alg, signed.as_bytes(), &signature) {
                Ok(()) => true,
                Err(e) => {
                    why = e;
                    false
                }
            },
        );
    if !verified {
        return Err(TokenError::Signature(why));
    }

    let iss = claims["iss"].as_str().unwrap_or_default();
    if iss.trim_end_matches('/') != check.issuer.trim_end_matches('/') {
        return Err(TokenError::Issuer {
            found: iss.to_string(),
            expected: check.issuer.to_string(),
        });
    }
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a == check.audience,
        Value::Array(list) => list.iter().any(|a| a.as_str() == Some(check.audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(TokenError::Audience {
            found: claims["aud"].to_string(),
            expected: check.audience.to_string(),
        });
    }
    let now = check
        .now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let leeway = check.leeway.as_secs();
    if let Some(exp) = claims["exp"].as_u64()
        && now > exp.saturating_add(leeway)
    {
        return Err(TokenError::Expired {
            exp,
            late: now - exp,
            leeway,
        });
    }
    if let Some(nbf) = claims["nbf"].as_u64()
        && nbf > now.saturating_add(leeway)
    {
        return Err(TokenError::NotYetValid {
            nbf,
            early: nbf - now,
            leeway,
        });
    }
    Ok(claims)
}

fn field(k: &Jwk, v: &Option<String>, name: &str) -> Result<Vec<u8>, String> {
    let text = v
        .as_deref()
        .ok_or_else(|| format!("the {} key {:?} has no {name}", k.kty, k.kid))?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| format!("the key's {name} is not base64url"))
}

fn verify(k: &Jwk, alg: &str, message: &[u8], sig: &[u8]) -> Result<(), String> {
    match (k.kty.as_str(), alg) {
        ("RSA", "RS256") => {
            let n = field(k, &k.n, "n")?;
            let e = field(k, &k.e, "e")?;
            ring::signature::RsaPublicKeyComponents { n: &n, e: &e }
                .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, message, sig)
                .map_err(|_| "the RS256 signature does not verify with the key".to_string())
        }
        ("EC", "ES256") | ("EC", "ES384") => {
            let mut point = vec![4u8];
            point.extend(field(k, &k.x, "x")?);
            point.extend(field(k, &k.y, "y")?);
            let ok = if alg == "ES256" && k.crv.as_deref() == Some("P-256") {
                use p256::ecdsa::signature::Verifier;
                let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| "the key is not a P-256 point".to_string())?;
                p256::ecdsa::Signature::from_slice(sig)
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            } else if alg == "ES384" && k.crv.as_deref() == Some("P-384") {
                use p384::ecdsa::signature::Verifier;
                let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&point)
                    .map_err(|_| "the key is not a P-384 point".to_string())?;
                p384::ecdsa::Signature::from_slice(sig)
                    .is_ok_and(|s| key.verify(message, &s).is_ok())
            } else {
                return Err(format!("{alg} with a {:?} key", k.crv));
            };
            if ok {
                Ok(())
            } else {
                Err(format!("the {alg} signature does not verify with the key"))
            }
        }
        (kty, alg) => Err(format!(
            "the token's algorithm {alg} does not go with a {kty} key (RS256, ES256 and ES384 are checked)"
        )),
    }
}

/// Entry points for the fuzz targets; not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    /// Parses `data` as a token and a key set; never panics.
    pub fn token_and_jwks(data: &[u8]) {
        let text = String::from_utf8_lossy(data);
        let (jwks, token) = text.split_once('\n').unwrap_or((&text, ""));
        let set: super::Jwks = serde_json::from_str(jwks).unwrap_or_default();
        let _ = super::check_token(
            token,
            &set,
            &super::TokenCheck {
                issuer: "https://issuer",
                audience: "sts.amazonaws.com",
                now: std::time::UNIX_EPOCH,
                leeway: std::time::Duration::from_secs(60),
            },
        );
        let _ = super::jwk_from_public_key(data);
    }
}
