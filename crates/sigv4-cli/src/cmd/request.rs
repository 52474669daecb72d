//! `sigv4 request`: a curl-like client that signs with the credential chain
//! (or sends basic auth with `-u`) and sends.
//!
//! Exit status: 0 for a 2xx or 3xx answer (body on stdout), 22 for an HTTP
//! error status (stdout empty, the server's body on stderr), 2 for usage and
//! input errors, 1 for anything else (connection, TLS, credentials).

use std::io::Write;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use cred_providers::{
    BlockingTransport, ClientCertificate, ProxySetting, TlsSetting, TransportConfig,
};
use sigv4_core::{Payload, Request, Signer, SigningParams, SigningSettings, Timestamp};

use super::{CurlArgs, CurlRequest, chain_credentials, read_data, region, set_by_signer};
use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct RequestArgs {
    #[command(flatten)]
    curl: CurlArgs,
    /// Basic authentication instead of SigV4.
    #[arg(short = 'u', long = "user", value_name = "USER:PASSWORD")]
    user: Option<String>,
    /// Do not verify the server's certificate.
    #[arg(short = 'k', long = "insecure")]
    insecure: bool,
    /// Trust only the certificates of this PEM bundle.
    #[arg(long, value_name = "FILE", conflicts_with = "insecure")]
    cacert: Option<String>,
    /// Present this client certificate (PEM; intermediates may follow).
    #[arg(short = 'E', long = "cert", value_name = "FILE", requires = "key")]
    cert: Option<String>,
    /// The client certificate's private key (unencrypted PEM).
    #[arg(long = "key", value_name = "FILE", requires = "cert")]
    key: Option<String>,
    /// Print the status line and response headers before the body.
    #[arg(short = 'i', long = "include")]
    include: bool,
    /// Write the body to this file instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<String>,
    /// Follow redirects.
    #[arg(short = 'L', long = "location")]
    location: bool,
    /// Signing name of the service (inferred from *.es / *.aoss / sts hosts).
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
    /// Signing region (inferred from the host, else the usual resolution).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Add and sign X-Amz-Content-Sha256 (implied by aoss).
    #[arg(long)]
    content_sha256_header: bool,
    /// The URL, already percent-encoded.
    #[arg(value_name = "URL")]
    url: String,
}

/// The service and region a well-known AWS host names.
pub(crate) fn infer(host: &str) -> (Option<&'static str>, Option<String>) {
    let host = host.to_ascii_lowercase();
    let labels: Vec<&str> = host.split('.').collect();
    let n = labels.len();
    let ends = |suffix: &[&str]| n >= suffix.len() && labels[n - suffix.len()..] == *suffix;
    for service in ["es", "aoss"] {
        if ends(&[service, "amazonaws", "com"]) && n >= 5 {
            let svc = if service == "es" { "es" } else { "aoss" };
            return (Some(svc), Some(labels[n - 4].to_string()));
        }
    }
    if labels.first() == Some(&"sts")
        && (ends(&["amazonaws", "com"]) || ends(&["amazonaws", "com", "cn"]))
    {
        let region = match n {
            3 => "us-east-1".to_string(),
            _ => labels[1].to_string(),
        };
        return (Some("sts"), Some(region));
    }
    (None, None)
}

pub(crate) fn run(args: &RequestArgs, profile: Option<&str>) -> Result<String, CliError> {
    let CurlRequest {
        method,
        headers,
        body,
    } = args.curl.parse()?;
    let url = args.url.split('#').next().unwrap_or_default().to_string();
    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let view = Request::new(&method, &url)
        .map_err(CliError::input)?
        .with_headers(&header_refs);
    view.validate_headers().map_err(CliError::input)?;

    // What to send: the caller's headers, then either basic auth or SigV4.
    let mut send: Vec<(String, String)> = headers.clone();
    // The basic-auth header holds the password: kept apart, zeroised.
    let mut basic: Option<zeroize::Zeroizing<String>> = None;
    if let Some(user) = &args.user {
        if !user.contains(':') {
            return Err(CliError::input("-u takes USER:PASSWORD"));
        }
        send.retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
        // Sized up front: growing would leave a copy behind.
        let mut value =
            zeroize::Zeroizing::new(String::with_capacity(6 + user.len().div_ceil(3) * 4));
        value.push_str("Basic ");
        STANDARD.encode_string(user.as_bytes(), &mut value);
        basic = Some(value);
    } else {
        let host = view
            .host()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_string();
        let (inferred_service, inferred_region) = infer(&host);
        let service = args
            .service
            .clone()
            .or(inferred_service.map(str::to_string))
            .ok_or_else(|| {
                CliError::input(format!(
                    "--service is needed: cannot tell the service from the host {host}"
                ))
            })?;
        let region = match (&args.region, inferred_region) {
            (Some(r), _) => region(Some(r), profile)?,
            (None, Some(r)) => r,
            (None, None) => region(None, profile)?,
        };
        let creds = chain_credentials(profile, 1)?;
        let mut settings = if service == "s3" {
            SigningSettings::s3()
        } else {
            SigningSettings::default()
        };
        settings.content_sha256_header |= args.content_sha256_header || service == "aoss";
        let params = SigningParams {
            settings,
            ..SigningParams::new(&region, &service, Timestamp::now())
        };
        let view = view.with_payload(Payload::Bytes(&body));
        let signed = Signer::new()
            .sign_owned(&view, &creds.signing(), &params)
            .map_err(CliError::input)?;
        send.retain(|(n, _)| !set_by_signer(n));
        send.extend(signed.headers.into_iter().map(|(n, v)| (n.to_string(), v)));
    }

    let tls = if args.insecure {
        TlsSetting::Insecure
    } else if let Some(path) = &args.cacert {
        TlsSetting::CaBundle(read_data(&format!("@{path}"))?)
    } else {
        TlsSetting::Platform
    };
    let client_cert = match (&args.cert, &args.key) {
        (Some(cert), Some(key)) => Some(ClientCertificate::from_pem(
            read_data(&format!("@{cert}"))?,
            read_data(&format!("@{key}"))?,
        )),
        _ => None,
    };
    let transport = BlockingTransport::try_new(TransportConfig {
        tls,
        client_cert,
        follow_redirects: args.location,
        proxy: ProxySetting::FromEnv,
        max_body: 1 << 30,
        ..TransportConfig::default()
    })
    .map_err(|e| CliError::with_code(1, e))?;
    let mut req = http::Request::builder()
        .method(method.as_str())
        .uri(url.as_str());
    for (n, v) in &send {
        req = req.header(n.as_str(), v.as_str());
    }
    if let Some(value) = &basic {
        let mut v = http::HeaderValue::from_str(value.as_str())
            .map_err(|_| CliError::input("the user name or password cannot be sent in a header"))?;
        v.set_sensitive(true);
        req = req.header(http::header::AUTHORIZATION, v);
    }
    let req = req
        .body(body)
        .map_err(|e| CliError::input(format!("cannot build the request: {e}")))?;
    let resp = transport
        .send_blocking(req)
        .map_err(|e| CliError::with_code(1, format!("{url}: {e}")))?;

    let status = resp.status();
    if status.is_client_error() || status.is_server_error() {
        let text = String::from_utf8_lossy(resp.body());
        return Err(CliError::with_code(
            22,
            format!("HTTP {}: {}", status, text.trim()),
        ));
    }
    let mut out: Vec<u8> = Vec::new();
    if args.include {
        out.extend_from_slice(format!("{:?} {}\r\n", resp.version(), status).as_bytes());
        for (n, v) in resp.headers() {
            out.extend_from_slice(n.as_str().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
    match &args.output {
        Some(path) => std::fs::write(path, resp.body())
            .map_err(|e| CliError::with_code(1, format!("cannot write {path}: {e}")))?,
        None => out.extend_from_slice(resp.body()),
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&out)
        .and_then(|()| stdout.flush())
        .map_err(|e| CliError::with_code(1, format!("cannot write to stdout: {e}")))?;
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::infer;

    #[test]
    fn infers_service_and_region() {
        assert_eq!(
            infer("search-logs-abc123.eu-west-1.es.amazonaws.com"),
            (Some("es"), Some("eu-west-1".into()))
        );
        assert_eq!(
            infer("vpc-logs-abc.ap-northeast-1.es.amazonaws.com"),
            (Some("es"), Some("ap-northeast-1".into()))
        );
        assert_eq!(
            infer("abc123.us-east-1.aoss.amazonaws.com"),
            (Some("aoss"), Some("us-east-1".into()))
        );
        assert_eq!(
            infer("sts.amazonaws.com"),
            (Some("sts"), Some("us-east-1".into()))
        );
        assert_eq!(
            infer("sts.eu-central-1.amazonaws.com"),
            (Some("sts"), Some("eu-central-1".into()))
        );
        assert_eq!(infer("127.0.0.1"), (None, None));
        assert_eq!(infer("es.amazonaws.com"), (None, None));
    }
}
