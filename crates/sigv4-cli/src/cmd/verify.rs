//! `sigv4 verify`: check a signed request read from stdin.
//!
//! Exit status 0 when the signature is valid (and the body is the signed
//! one), 1 (with the reason) when it is not, 2 for unusable input.
//!
//! SigV4a requests are recognised by their algorithm; they are checked with
//! the secret from the environment (the key is derived from it) or with a
//! public key (`--public-key PEM`).

use std::io::Read;

use clap::Args;
use sigv4_core::{Payload, Request, Timestamp, Verifier, VerifySettings};

use super::{env_credentials, read_data};
use crate::CliError;
use crate::http_text;

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The request body: '@FILE' (or '@-'), or a string. Default: empty.
    #[arg(long = "data-binary", value_name = "@FILE|STRING")]
    data_binary: Option<String>,
    /// The server's time (default: now).
    #[arg(long, value_name = "YYYYMMDDTHHMMSSZ")]
    now: Option<String>,
    /// Allowed clock skew in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    max_skew: u64,
    /// Accept a request that signs UNSIGNED-PAYLOAD (its body is then not
    /// authenticated). Refused by default, except for an `s3` scope.
    #[arg(long)]
    allow_unsigned_payload: bool,
    /// Verify a SigV4a request with this P-256 public key (a PEM
    /// 'PUBLIC KEY' file) instead of the secret from the environment.
    #[arg(long, value_name = "PEM")]
    public_key: Option<std::path::PathBuf>,
}

/// Reads a P-256 public key from a PEM file.
fn read_public_key(path: &std::path::Path) -> Result<sigv4_core::SigV4aPublicKey, CliError> {
    use p256::pkcs8::DecodePublicKey;
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::input(format!("--public-key {}: {e}", path.display())))?;
    let key = p256::PublicKey::from_public_key_pem(&text).map_err(|_| {
        CliError::input(format!(
            "--public-key {}: not a PEM P-256 public key ('-----BEGIN PUBLIC KEY-----')",
            path.display()
        ))
    })?;
    let point = p256::elliptic_curve::sec1::ToSec1Point::to_sec1_point(&key, false);
    sigv4_core::SigV4aPublicKey::from_sec1_bytes(point.as_bytes())
        .map_err(|e| CliError::input(format!("--public-key {}: {e}", path.display())))
}

pub(crate) fn run(args: &VerifyArgs) -> Result<String, CliError> {
    let now = match &args.now {
        Some(d) => d
            .parse::<Timestamp>()
            .map_err(|e| CliError::input(format!("--now: {e}")))?,
        None => Timestamp::now(),
    };
    let body = match &args.data_binary {
        Some(spec) if spec == "@-" => {
            return Err(CliError::input(
                "--data-binary @- is not possible: stdin holds the request",
            ));
        }
        Some(spec) => read_data(spec)?,
        None => Vec::new(),
    };
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::input(format!("cannot read the request from stdin: {e}")))?;
    let parsed = http_text::parse(&text)?;
    let public_key = args
        .public_key
        .as_deref()
        .map(read_public_key)
        .transpose()?;
    let creds = match public_key {
        Some(_) => None,
        None => Some(env_credentials()?),
    };

    let url = if parsed.target.starts_with("http://") || parsed.target.starts_with("https://") {
        parsed.target.clone()
    } else {
        let host = parsed
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("host"))
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| CliError::input("the request has no Host header"))?;
        format!("https://{host}{}", parsed.target)
    };
    let headers: Vec<(&str, &str)> = parsed
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request::new(&parsed.method, &url)
        .map_err(CliError::input)?
        .with_headers(&headers)
        .with_payload(Payload::Bytes(&body));
    request.validate_headers().map_err(CliError::input)?;
    let mut verifier = Verifier::new(VerifySettings {
        max_skew_secs: args.max_skew,
        allow_unsigned_payload: args.allow_unsigned_payload,
        ..VerifySettings::default()
    });
    let verified = match (&creds, public_key) {
        (Some(creds), _) => verifier.verify(&request, now, |id| {
            (id == creds.access_key_id).then_some(creds.secret_access_key.as_bytes())
        })?,
        (None, public) => verifier.verify_with_public_key(&request, now, |_| public)?,
    };
    let mut summary = serde_json::json!({
        "valid": true,
        "access_key_id": verified.access_key_id.as_str(),
        "scope": verified.scope().to_string(),
        "signed_at": verified.signed_at.to_string(),
        "presigned": verified.presigned,
        "unsigned_payload": verified.unsigned_payload,
    });
    if verified.sigv4a {
        summary["algorithm"] = "AWS4-ECDSA-P256-SHA256".into();
        summary["region_set"] = verified.region.as_str().into();
    }
    Ok(format!("{summary}\n"))
}
