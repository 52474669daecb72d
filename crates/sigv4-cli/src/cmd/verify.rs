//! `sigv4 verify`: check a signed request read from stdin.
//!
//! Exit status 0 when the signature is valid (and the body is the signed
//! one), 1 (with the reason) when it is not, 2 for unusable input.
//!
//! The bytes after the first empty line are the request's body (then
//! `--data-binary` must not be given). A streaming upload
//! (`x-amz-content-sha256: STREAMING-…`, aws-chunked) has its every chunk
//! signature, and its trailer, checked.
//!
//! SigV4a requests are recognised by their algorithm; they are checked with
//! the secret from the environment (the key is derived from it) or with a
//! public key (`--public-key PEM`).

use std::io::Read;

use clap::Args;
use sigv4_core::chunked::VerifiedBody;
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

/// Splits stdin at the first empty line: the head, and the body if any
/// bytes follow.
fn split_body(input: &[u8]) -> (&[u8], Option<&[u8]>) {
    let lf = input
        .windows(2)
        .position(|w| w == b"\n\n")
        .map(|i| (i, i + 2));
    let crlf = input
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4));
    let split = match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    };
    match split {
        Some((end, start)) if start < input.len() => (&input[..end], Some(&input[start..])),
        Some((end, _)) => (&input[..end], None),
        None => (input, None),
    }
}

pub(crate) fn run(args: &VerifyArgs) -> Result<String, CliError> {
    let now = match &args.now {
        Some(d) => d
            .parse::<Timestamp>()
            .map_err(|e| CliError::input(format!("--now: {e}")))?,
        None => Timestamp::now(),
    };
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| CliError::input(format!("cannot read the request from stdin: {e}")))?;
    let (head, inline_body) = split_body(&input);
    let text = std::str::from_utf8(head)
        .map_err(|_| CliError::input("the request line and headers are not UTF-8"))?;
    let body = match (&args.data_binary, inline_body) {
        (Some(_), Some(_)) => {
            return Err(CliError::input(
                "the request on stdin has a body after its headers: --data-binary cannot be given too",
            ));
        }
        (Some(spec), None) if spec == "@-" => {
            return Err(CliError::input(
                "--data-binary @- is not possible: stdin holds the request",
            ));
        }
        (Some(spec), None) => read_data(spec)?,
        (None, Some(b)) => b.to_vec(),
        (None, None) => Vec::new(),
    };
    let parsed = http_text::parse(text)?;
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
    let streaming = parsed.headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("x-amz-content-sha256") && v.trim().starts_with("STREAMING-")
    });
    let payload = if streaming {
        // The body is checked chunk by chunk below.
        Payload::Unsigned
    } else {
        Payload::Bytes(&body)
    };
    let request = Request::new(&parsed.method, &url)
        .map_err(CliError::input)?
        .with_headers(&headers)
        .with_payload(payload);
    request.validate_headers().map_err(CliError::input)?;
    let mut verifier = Verifier::new(VerifySettings {
        max_skew_secs: args.max_skew,
        allow_unsigned_payload: args.allow_unsigned_payload,
        ..VerifySettings::default()
    });
    let (verified, seed) = match (&creds, public_key) {
        (Some(creds), _) => verifier.verify_streaming(&request, now, |id| {
            (id == creds.access_key_id).then_some(creds.secret_access_key.as_bytes())
        })?,
        (None, public) => verifier.verify_streaming_with_public_key(&request, now, |_| public)?,
    };
    let decoded = match seed {
        Some(seed) => {
            let mut out = Vec::new();
            let mut reader = VerifiedBody::new(seed, &body[..], body.len().max(1));
            reader.read_to_end(&mut out).map_err(|e| {
                CliError::with_code(
                    1,
                    e.into_inner()
                        .map_or_else(|| "unreadable body".to_string(), |i| i.to_string()),
                )
            })?;
            Some(out.len())
        }
        None => None,
    };
    let mut summary = serde_json::json!({
        "valid": true,
        "access_key_id": verified.access_key_id.as_str(),
        "scope": verified.scope().to_string(),
        "signed_at": verified.signed_at.to_string(),
        "presigned": verified.presigned,
        "unsigned_payload": verified.unsigned_payload,
    });
    if let Some(n) = decoded {
        summary["decoded_content_length"] = n.into();
    }
    if verified.sigv4a {
        summary["algorithm"] = "AWS4-ECDSA-P256-SHA256".into();
        summary["region_set"] = verified.region.as_str().into();
    }
    Ok(format!("{summary}\n"))
}
