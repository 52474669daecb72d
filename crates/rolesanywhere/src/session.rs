//! The CreateSession request: `POST /sessions?profileArn=…&roleArn=…&trustAnchorArn=…`
//! with a JSON body and the certificate in `X-Amz-X509`, signed with the
//! X.509 algorithm.

use sigv4_core::{Payload, Request, SignatureAlgorithm, SigningParams, Timestamp};

use crate::Error;
use crate::cert::EndEntity;

/// What to ask for.
#[derive(Clone, Debug)]
pub struct SessionParams {
    /// The endpoint base URL (`https://rolesanywhere.{region}.amazonaws.com`).
    pub endpoint: String,
    /// The signing region.
    pub region: String,
    /// The trust anchor.
    pub trust_anchor_arn: String,
    /// The profile.
    pub profile_arn: String,
    /// The role.
    pub role_arn: String,
    /// 900..=43200 seconds.
    pub duration_seconds: u32,
    /// `roleSessionName`, if any.
    pub role_session_name: Option<String>,
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The signed request, as an `http::Request`.
pub fn create_session_request(
    params: &SessionParams,
    cert: &EndEntity,
    signer: &mut dyn SignatureAlgorithm,
    time: Timestamp,
    trace: Option<sigv4_core::Trace<'_>>,
) -> Result<http::Request<Vec<u8>>, Error> {
    if !(900..=43_200).contains(&params.duration_seconds) {
        return Err(Error::Input("durationSeconds must be 900 to 43200".into()));
    }
    let url = format!(
        "{}/sessions?profileArn={}&roleArn={}&trustAnchorArn={}",
        params.endpoint.trim_end_matches('/'),
        enc(&params.profile_arn),
        enc(&params.role_arn),
        enc(&params.trust_anchor_arn)
    );
    let body = match &params.role_session_name {
        Some(name) => format!(
            "{{\"durationSeconds\":{},\"roleSessionName\":{}}}",
            params.duration_seconds,
            json_string(name)
        ),
        None => format!("{{\"durationSeconds\":{}}}", params.duration_seconds),
    };
    let x509 = cert.header_value();
    let date = time.amz_date();
    let headers = [
        ("Content-Type", "application/json"),
        ("X-Amz-Date", date.as_str()),
        ("X-Amz-X509", x509.as_str()),
    ];
    let view = Request::new("POST", &url)
        .map_err(|e| Error::Input(e.to_string()))?
        .with_headers(&headers)
        .with_payload(Payload::Bytes(body.as_bytes()));
    let signing = SigningParams::new(&params.region, "rolesanywhere", time);
    let mut buf = vec![0u8; 4096];
    let out = sigv4_core::sign(signer, &view, &signing, None, &mut buf, trace)
        .map_err(|e| Error::Sign(e.to_string()))?;
    let b = http::Request::post(url.as_str())
        .header("content-type", "application/json")
        .header("host", view.host())
        .header("x-amz-date", date.as_str())
        .header("x-amz-x509", x509.as_str())
        .header("authorization", out.authorization());
    b.body(body.into_bytes())
        .map_err(|e| Error::Input(e.to_string()))
}

fn json_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
