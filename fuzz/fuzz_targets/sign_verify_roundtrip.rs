//! Sign, then verify must accept; change any signed byte and verify must
//! reject. With a signed `x-amz-content-sha256`, a changed body must be
//! refused as a payload hash mismatch.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sigv4_core::{
    CredentialsRef, Payload, Request, Signer, SigningParams, SigningSettings, Timestamp, Verifier,
    VerifyError, VerifySettings,
};

#[derive(Arbitrary, Debug)]
struct Input {
    method: u8,
    path: Vec<u8>,
    query: Vec<u8>,
    header_values: Vec<String>,
    body: Vec<u8>,
    token: bool,
    time: u32,
    presign: bool,
    /// Sign `x-amz-content-sha256` (S3, `aoss`).
    content_sha256_header: bool,
    /// Which signed byte to change.
    target: u8,
    index: u16,
}

const METHODS: [&str; 4] = ["GET", "POST", "PUT", "DELETE"];

/// Keeps URL-safe bytes only (the signer takes the wire form).
fn wire(bytes: &[u8], allow_slash: bool) -> String {
    bytes
        .iter()
        .map(|&b| b & 0x7f)
        .filter(|&b| {
            b.is_ascii_alphanumeric()
                || b"-._~%!$'()*+,;=:@".contains(&b)
                || (allow_slash && b == b'/')
        })
        .map(char::from)
        .collect()
}

/// The next character of the same class: always a different character,
/// never one that percent-decoding treats as equal.
fn bump(c: u8) -> u8 {
    match c {
        b'0'..=b'8' | b'a'..=b'y' | b'A'..=b'Y' => c + 1,
        b'9' => b'0',
        b'z' => b'a',
        b'Z' => b'A',
        other => other,
    }
}

fn bump_alnum(s: &str, index: u16) -> Option<String> {
    let positions: Vec<usize> = s
        .bytes()
        .enumerate()
        .filter(|(_, b)| b.is_ascii_alphanumeric())
        .map(|(i, _)| i)
        .collect();
    let &i = positions.get(usize::from(index) % positions.len().max(1))?;
    let mut b = s.as_bytes().to_vec();
    b[i] = bump(b[i]);
    String::from_utf8(b).ok()
}

struct Parts {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn verify(
    p: &Parts,
    now: Timestamp,
    settings: SigningSettings<'static>,
) -> Result<(), VerifyError> {
    let headers: Vec<(&str, &str)> = p
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let req = Request::new(&p.method, &p.url)?;
    let req = req
        .with_headers(&headers)
        .with_payload(Payload::Bytes(&p.body));
    let vs = VerifySettings {
        signing: settings,
        ..VerifySettings::default()
    };
    Verifier::new(vs)
        .verify(&req, now, |_| Some("secret"))
        .map(|_| ())
}

fuzz_target!(|input: Input| {
    let method = METHODS[usize::from(input.method) % METHODS.len()];
    let path = format!("/{}", wire(&input.path, true));
    let query = wire(&input.query, false).replace(['?'], "");
    let url = if query.is_empty() {
        format!("https://example.amazonaws.com{path}")
    } else {
        format!("https://example.amazonaws.com{path}?{query}")
    };
    let values: Vec<String> = input
        .header_values
        .iter()
        .take(4)
        .map(|v| {
            v.chars()
                .filter(|c| c.is_ascii_graphic() || *c == ' ')
                .collect()
        })
        .collect();
    let mut headers: Vec<(String, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("x-h{i}"), v.clone()))
        .collect();
    headers.push(("host".into(), "example.amazonaws.com".into()));
    let settings = SigningSettings {
        normalize_path: false,
        content_sha256_header: input.content_sha256_header,
        ..SigningSettings::default()
    };
    let time = Timestamp::from_unix_seconds(u64::from(input.time)).expect("in range");
    let creds = CredentialsRef::new("AKIDEXAMPLE", "secret");
    let creds = if input.token {
        creds.with_session_token("TOKEN")
    } else {
        creds
    };
    let params = SigningParams {
        settings,
        ..SigningParams::new("us-east-1", "svc", time)
    };

    let header_refs: Vec<(&str, &str)> = headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let Ok(req) = Request::new(method, &url) else {
        return;
    };
    let req = req
        .with_headers(&header_refs)
        .with_payload(Payload::Bytes(&input.body));
    let mut signer = Signer::new();
    let mut parts = Parts {
        method: method.into(),
        url: url.clone(),
        headers: headers.clone(),
        body: input.body.clone(),
    };
    if input.presign {
        let Ok(signed) = signer.presign_owned(&req, &creds, &params, 600) else {
            return;
        };
        parts.url = if query.is_empty() {
            format!("{url}?{}", signed.query)
        } else {
            format!("{url}&{}", signed.query)
        };
    } else {
        let Ok(signed) = signer.sign_owned(&req, &creds, &params) else {
            return;
        };
        parts
            .headers
            .extend(signed.headers.into_iter().map(|(n, v)| (n.to_string(), v)));
    }
    if let Err(e) = verify(&parts, time, settings) {
        panic!("a fresh signature must verify: {e}");
    }

    // Change one signed byte.
    let mut changed = Parts {
        method: parts.method.clone(),
        url: parts.url.clone(),
        headers: parts.headers.clone(),
        body: parts.body.clone(),
    };
    let mut body_changed = false;
    match input.target % 5 {
        0 => changed.method = METHODS[(usize::from(input.method) + 1) % METHODS.len()].into(),
        1 => {
            if changed.body.is_empty() || input.presign {
                return;
            }
            let i = usize::from(input.index) % changed.body.len();
            changed.body[i] ^= 1;
            body_changed = true;
        }
        2 => {
            // A character of the path or of the request's own query.
            let (pq_start, sig_part) = (
                changed.url.find(".com").map_or(0, |i| i + 4),
                changed.url.find("X-Amz-").unwrap_or(changed.url.len()),
            );
            let Some(bumped) = bump_alnum(&changed.url[pq_start..sig_part], input.index) else {
                return;
            };
            changed.url = format!(
                "{}{}{}",
                &changed.url[..pq_start],
                bumped,
                &changed.url[sig_part..]
            );
        }
        3 => {
            let Some((_, v)) = changed.headers.iter_mut().find(|(n, v)| {
                n.starts_with("x-h") && v.bytes().any(|b| b.is_ascii_alphanumeric())
            }) else {
                return;
            };
            let Some(bumped) = bump_alnum(v, input.index) else {
                return;
            };
            *v = bumped;
        }
        _ => {
            // The signature itself.
            if let Some((_, v)) = changed
                .headers
                .iter_mut()
                .find(|(n, _)| n == "Authorization")
            {
                let Some(bumped) = bump_alnum(&v[v.len() - 64..], input.index) else {
                    return;
                };
                let keep = v.len() - 64;
                *v = format!("{}{bumped}", &v[..keep]);
            } else {
                let keep = changed.url.len() - 64;
                let Some(bumped) = bump_alnum(&changed.url[keep..], input.index) else {
                    return;
                };
                changed.url = format!("{}{bumped}", &changed.url[..keep]);
            }
        }
    }
    match verify(&changed, time, settings) {
        Ok(()) => panic!("a changed request must not verify"),
        Err(e) if body_changed && input.content_sha256_header => {
            assert_eq!(e, VerifyError::PayloadHashMismatch);
        }
        Err(_) => {}
    }
});
