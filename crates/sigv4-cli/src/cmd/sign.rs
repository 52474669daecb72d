//! `sigv4 sign`: sign or presign a request given curl-style, and print the
//! request to send (`--format http`) or every stage (`--format json`).

use std::io::Read;

use clap::{Args, ValueEnum};
use serde::Serialize;
use sigv4_core::chunked::{
    ChecksumAlgorithm, ChunkSigner, ChunkedEncoder, StreamingMode, StreamingUpload,
};
use sigv4_core::{
    CredentialsRef, Payload, Request, SigV4aSigner, Signer, SigningParams, SigningSettings,
    Timestamp, append_query,
};

use super::{CurlArgs, CurlRequest, chain_credentials, region, set_by_signer};
use crate::CliError;
use crate::http_text;

/// Output format of `sign`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The request line and headers to send.
    Http,
    /// Canonical request, string to sign, signature, URL and headers.
    Json,
}

#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    curl: CurlArgs,
    /// Signing region, e.g. us-east-1 (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Sign with SigV4a (AWS4-ECDSA-P256-SHA256) for a region set.
    #[arg(long)]
    sigv4a: bool,
    /// The SigV4a region set: comma-separated regions, or '*' (default: the region).
    #[arg(long, value_name = "R1,R2|*", requires = "sigv4a")]
    region_set: Option<String>,
    /// Signing name of the service, e.g. es, aoss, sts, s3.
    #[arg(long, value_name = "SERVICE")]
    service: String,
    /// Signing time (default: now).
    #[arg(long, value_name = "YYYYMMDDTHHMMSSZ")]
    date: Option<String>,
    /// Sign in the query string (a presigned URL) instead of headers.
    #[arg(long)]
    presign: bool,
    /// Lifetime of the presigned URL in seconds, 1..=604800.
    #[arg(long, value_name = "SECS", requires = "presign")]
    expires: Option<String>,
    /// Sign UNSIGNED-PAYLOAD instead of the body's hash.
    #[arg(long)]
    unsigned_payload: bool,
    /// Add and sign X-Amz-Content-Sha256 (required by aoss and s3).
    #[arg(long)]
    content_sha256_header: bool,
    /// Sign a streaming upload (Content-Encoding: aws-chunked) in chunks
    /// of N bytes; `--format http` then prints the encoded body after the
    /// headers.
    #[arg(long, value_name = "N", conflicts_with = "presign")]
    chunk_size: Option<usize>,
    /// Send this checksum of the body as a trailer (with --chunk-size).
    #[arg(long, value_enum, value_name = "ALG", requires = "chunk_size")]
    trailer: Option<Trailer>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Http)]
    format: Format,
    /// The URL, already percent-encoded (as curl takes it).
    #[arg(value_name = "URL")]
    url: String,
}

/// The checksum a streaming upload's trailer carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Trailer {
    /// x-amz-checksum-crc32
    Crc32,
    /// x-amz-checksum-crc32c
    Crc32c,
    /// x-amz-checksum-sha256
    Sha256,
}

impl From<Trailer> for ChecksumAlgorithm {
    fn from(t: Trailer) -> Self {
        match t {
            Trailer::Crc32 => Self::Crc32,
            Trailer::Crc32c => Self::Crc32c,
            Trailer::Sha256 => Self::Sha256,
        }
    }
}

/// The streaming upload `--chunk-size` asks for, if any.
fn streaming(args: &SignArgs, body_len: usize) -> Result<Option<StreamingUpload>, CliError> {
    let Some(chunk_size) = args.chunk_size else {
        return Ok(None);
    };
    if chunk_size == 0 {
        return Err(CliError::input("--chunk-size must be at least 1"));
    }
    let mode = match (args.unsigned_payload, args.trailer) {
        (true, None) => {
            return Err(CliError::input(
                "--unsigned-payload with --chunk-size needs --trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)",
            ));
        }
        (true, Some(_)) => StreamingMode::UnsignedWithTrailer,
        (false, Some(_)) => StreamingMode::SignedWithTrailer,
        (false, None) => StreamingMode::Signed,
    };
    Ok(Some(StreamingUpload {
        mode,
        sigv4a: args.sigv4a,
        chunk_size,
        decoded_length: body_len as u64,
        checksum: args.trailer.map(ChecksumAlgorithm::from),
    }))
}

/// Encodes `body` as aws-chunked, chaining from the request's signature.
fn encode_body(
    upload: &StreamingUpload,
    body: &[u8],
    credentials: &CredentialsRef<'_>,
    params: &SigningParams<'_>,
    seed: &str,
) -> Result<Vec<u8>, CliError> {
    let fail = |e: sigv4_core::chunked::ChunkError| CliError::input(e);
    let mut v4a = SigV4aSigner::new();
    let signer = if upload.sigv4a {
        let key = v4a.key(credentials)?;
        ChunkSigner::sigv4a(key, params, seed, upload.mode, upload.checksum).map_err(fail)?
    } else {
        ChunkSigner::hmac(credentials, params, seed, upload.mode, upload.checksum).map_err(fail)?
    };
    let mut wire = Vec::new();
    ChunkedEncoder::new(signer, body, upload.chunk_size, body.len() as u64)
        .read_to_end(&mut wire)
        .map_err(|e| CliError::with_code(1, format!("cannot encode the body: {e}")))?;
    Ok(wire)
}

/// Headers a streaming upload sets itself (the caller's are replaced).
const SET_BY_STREAMING: &[&str] = &[
    "content-length",
    "content-encoding",
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "x-amz-trailer",
];

#[derive(Serialize)]
struct JsonOut<'a> {
    canonical_request: &'a str,
    string_to_sign: &'a str,
    signature: &'a str,
    authorization: Option<&'a str>,
    url: &'a str,
    headers: Vec<[&'a str; 2]>,
}

/// `scheme://authority` of a URL.
fn origin(url: &str) -> &str {
    let after = url.find("://").map_or(0, |i| i + 3);
    let end = url[after..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| after + i);
    &url[..end]
}

pub(crate) fn run(args: &SignArgs, profile: Option<&str>) -> Result<Vec<u8>, CliError> {
    let region = match &args.region_set {
        Some(set) if set.is_empty() => {
            return Err(CliError::input("--region-set must not be empty"));
        }
        Some(set) => set.clone(),
        None => region(args.region.as_deref(), profile)?,
    };
    if args.service.is_empty() {
        return Err(CliError::input("--service must not be empty"));
    }
    let time = match &args.date {
        Some(d) => d
            .parse::<Timestamp>()
            .map_err(|e| CliError::input(format!("--date: {e}")))?,
        None => Timestamp::now(),
    };
    let expires = match &args.expires {
        Some(e) => e
            .parse::<u64>()
            .ok()
            .filter(|e| (1..=sigv4_core::MAX_EXPIRES).contains(e))
            .ok_or_else(|| CliError::input("--expires must be between 1 and 604800 seconds"))?,
        None => 3600,
    };
    let CurlRequest {
        method,
        mut headers,
        body,
    } = args.curl.parse()?;
    let upload = streaming(args, body.len())?;
    if let Some(u) = &upload {
        headers.retain(|(n, _)| !SET_BY_STREAMING.iter().any(|s| n.eq_ignore_ascii_case(s)));
        let mut digits = [0u8; 40];
        headers.extend(
            u.headers(&mut digits)
                .into_iter()
                .flatten()
                .map(|(n, v)| (n.to_string(), v.to_string())),
        );
    }
    let creds = chain_credentials(profile, 2)?;

    let url = args.url.split('#').next().unwrap_or_default();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let request = Request::new(&method, url)
        .map_err(CliError::input)?
        .with_headers(&header_refs);
    request.validate_headers().map_err(CliError::input)?;
    let is_s3 = args.service == "s3";
    let payload = if args.unsigned_payload || (is_s3 && args.presign) {
        Payload::Unsigned
    } else {
        Payload::Bytes(&body)
    };
    let request = request.with_payload(payload);
    let mut settings = if is_s3 {
        SigningSettings::s3()
    } else {
        SigningSettings::default()
    };
    settings.content_sha256_header |= args.content_sha256_header;
    let params = SigningParams {
        settings,
        ..SigningParams::new(&region, &args.service, time)
    };
    let credentials = creds.signing();

    // Header signing gives headers to add; presigning, query parameters.
    let (signed_headers, signed_query, signature, traced) = match (args.presign, args.sigv4a) {
        (true, false) => {
            let (q, t) =
                Signer::new().presign_owned_traced(&request, &credentials, &params, expires)?;
            (Vec::new(), q.query, q.signature, t)
        }
        (true, true) => {
            let (q, t) = SigV4aSigner::new().presign_owned_traced(
                &request,
                &credentials,
                &params,
                expires,
            )?;
            (Vec::new(), q.query, q.signature, t)
        }
        (false, false) => {
            let (h, t) = Signer::new().sign_owned_traced(&request, &credentials, &params)?;
            (h.headers, String::new(), h.signature, t)
        }
        (false, true) => {
            let (h, t) = SigV4aSigner::new().sign_owned_traced(&request, &credentials, &params)?;
            (h.headers, String::new(), h.signature, t)
        }
    };

    // Every header to send, in order: the caller's, Host, then the signer's.
    let mut out_headers: Vec<(String, String)> = headers
        .iter()
        .filter(|(n, _)| args.presign || !set_by_signer(n))
        .cloned()
        .collect();
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        out_headers.push(("Host".to_string(), request.host().to_string()));
    }
    out_headers.extend(
        signed_headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.clone())),
    );

    let target = match request.query() {
        "" => request.path().to_string(),
        q => format!("{}?{q}", request.path()),
    };
    let target = if args.presign {
        append_query(&target, &signed_query)
    } else {
        target
    };
    let out_url = if args.presign {
        format!("{}{target}", origin(url))
    } else {
        args.url.clone()
    };

    let wire = match &upload {
        Some(u) => Some(encode_body(u, &body, &credentials, &params, &signature)?),
        None => None,
    };

    Ok(match args.format {
        Format::Http => {
            let mut out = http_text::render(&method, &target, &out_headers).into_bytes();
            if let Some(wire) = wire {
                out.push(b'\n');
                out.extend(wire);
            }
            out
        }
        Format::Json => {
            let authorization = signed_headers
                .iter()
                .find(|(n, _)| *n == "Authorization")
                .map(|(_, v)| v.as_str());
            let json = JsonOut {
                canonical_request: &traced.canonical_request,
                string_to_sign: &traced.string_to_sign,
                signature: &signature,
                authorization,
                url: &out_url,
                headers: out_headers
                    .iter()
                    .map(|(n, v)| [n.as_str(), v.as_str()])
                    .collect(),
            };
            let mut s = serde_json::to_string_pretty(&json)
                .map_err(|e| CliError::with_code(1, format!("cannot render JSON: {e}")))?;
            s.push('\n');
            s.into_bytes()
        }
    })
}
