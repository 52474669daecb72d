//! The IMDSv2-compatible endpoint of `rolesanywhere serve`, sans I/O: the
//! binary feeds it requests and writes back its responses.
//!
//! * `PUT /latest/api/token` with `x-aws-ec2-metadata-token-ttl-seconds`
//!   (1..=21600; 21600 when absent) returns a token; a request carrying
//!   `X-Forwarded-For` is refused, as IMDS does;
//! * `GET /latest/meta-data/iam/security-credentials/` names the role;
//! * `GET /latest/meta-data/iam/security-credentials/<role>` returns the
//!   credentials in the IMDS JSON shape;
//! * both GETs need a valid token (401 otherwise).
//!
//! Credentials are replaced only by newer ones (on the schedule of
//! [`crate::refresh`]): a failed refresh leaves the
//! last good set in place while it is still valid, and an expired set is
//! never served.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use cred_providers::Credentials;
use cred_providers::time::format_rfc3339;
use ring::rand::SecureRandom;

const TOKEN_PATH: &str = "/latest/api/token";
const CREDS_PATH: &str = "/latest/meta-data/iam/security-credentials";
const TTL_HEADER: &str = "x-aws-ec2-metadata-token-ttl-seconds";
const TOKEN_HEADER: &str = "x-aws-ec2-metadata-token";
const MAX_TOKENS: usize = 256;

/// The server's state.
#[derive(Debug)]
pub struct ImdsServer {
    role_name: String,
    tokens: Mutex<HashMap<String, Instant>>,
    creds: Mutex<Option<(Credentials, SystemTime)>>,
    rng: ring::rand::SystemRandom,
}

/// The role name IMDS shows for a role ARN (the last path segment).
pub fn role_name(role_arn: &str) -> &str {
    role_arn.rsplit('/').next().unwrap_or(role_arn)
}

/// Locks `m`, recovering the data if a holder panicked (the data is
/// always left whole).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    }
}

fn response(status: u16, body: impl Into<Vec<u8>>) -> http::Response<Vec<u8>> {
    let mut r = http::Response::new(body.into());
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap_or(http::StatusCode::OK);
    r
}

impl ImdsServer {
    /// A server for the role `role_name`.
    pub fn new(role_name: &str) -> Self {
        Self {
            role_name: role_name.to_string(),
            tokens: Mutex::default(),
            creds: Mutex::default(),
            rng: ring::rand::SystemRandom::new(),
        }
    }

    /// Stores fresh credentials (obtained at `now`).
    pub fn set_credentials(&self, creds: Credentials, now: SystemTime) {
        let mut slot = lock(&self.creds);
        *slot = Some((creds, now));
    }

    /// The credentials' expiry, if any are held.
    pub fn expiry(&self) -> Option<SystemTime> {
        let slot = lock(&self.creds);
        slot.as_ref().and_then(|(c, _)| c.expiry())
    }

    fn valid_token(&self, req: &http::Request<()>, now: Instant) -> Result<Duration, &'static str> {
        let token = req
            .headers()
            .get(TOKEN_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or("no token provided")?;
        let mut tokens = lock(&self.tokens);
        tokens.retain(|_, exp| *exp > now);
        match tokens.get(token) {
            Some(exp) => Ok(exp.saturating_duration_since(now)),
            None => Err("invalid token provided"),
        }
    }

    /// Answers one request; `now` is the wall clock (credential expiry),
    /// `instant` the monotonic one (token lifetimes).
    pub fn handle(
        &self,
        req: &http::Request<()>,
        now: SystemTime,
        instant: Instant,
    ) -> http::Response<Vec<u8>> {
        let path = req.uri().path();
        if path == TOKEN_PATH || path == "/latest/api/token/" {
            if req.method() != http::Method::PUT {
                return response(405, "");
            }
            if req.headers().contains_key("x-forwarded-for") {
                return response(
                    400,
                    "unable to process requests with X-Forwarded-For header",
                );
            }
            let ttl = match req.headers().get(TTL_HEADER) {
                None => Some(21_600),
                Some(v) => v
                    .to_str()
                    .ok()
                    .and_then(|s| s.trim().parse::<u64>().ok())
                    .filter(|t| (1..=21_600).contains(t)),
            };
            let Some(ttl) = ttl else {
                return response(400, "invalid token TTL");
            };
            let mut raw = [0u8; 48];
            if self.rng.fill(&mut raw).is_err() {
                return response(500, "unable to generate token");
            }
            let token = URL_SAFE_NO_PAD.encode(raw);
            let mut tokens = lock(&self.tokens);
            tokens.retain(|_, exp| *exp > instant);
            if tokens.len() >= MAX_TOKENS
                && let Some(oldest) = tokens
                    .iter()
                    .min_by_key(|(_, exp)| **exp)
                    .map(|(k, _)| k.clone())
            {
                tokens.remove(&oldest);
            }
            tokens.insert(token.clone(), instant + Duration::from_secs(ttl));
            let mut r = response(200, token);
            r.headers_mut()
                .insert(TTL_HEADER, http::HeaderValue::from(ttl));
            return r;
        }
        let rest = match path.strip_prefix(CREDS_PATH) {
            Some(r) => r,
            None => return response(404, "Not Found"),
        };
        if req.method() != http::Method::GET {
            return response(405, "");
        }
        let left = match self.valid_token(req, instant) {
            Ok(left) => left,
            Err(why) => return response(401, why),
        };
        let mut r = match rest {
            "" | "/" => response(200, self.role_name.clone()),
            r if r.trim_start_matches('/').trim_end_matches('/') == self.role_name => {
                self.credentials_body(now)
            }
            _ => response(404, "Not Found"),
        };
        r.headers_mut()
            .insert(TTL_HEADER, http::HeaderValue::from(left.as_secs()));
        r
    }

    fn credentials_body(&self, now: SystemTime) -> http::Response<Vec<u8>> {
        let slot = lock(&self.creds);
        let Some((c, updated)) = slot.as_ref() else {
            return response(503, "credentials are not available yet");
        };
        if c.expiry().is_some_and(|e| e <= now) {
            return response(
                503,
                "the credentials expired and could not be refreshed; see the server's log",
            );
        }
        // The fields in the order aws_signing_helper's `serve` prints them.
        #[derive(serde::Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Document<'a> {
            access_key_id: &'a str,
            secret_access_key: &'a str,
            token: &'a str,
            code: &'a str,
            #[serde(rename = "Type")]
            kind: &'a str,
            expiration: String,
            last_updated: String,
        }
        let body = serde_json::to_string(&Document {
            access_key_id: c.access_key_id(),
            secret_access_key: c.secret_access_key(),
            token: c.session_token().unwrap_or_default(),
            code: "Success",
            kind: "AWS-HMAC",
            expiration: c.expiry().map(format_rfc3339).unwrap_or_default(),
            last_updated: format_rfc3339(*updated),
        })
        .unwrap_or_default();
        let mut r = response(200, body);
        r.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut b = http::Request::builder().method(method).uri(path);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap()
    }

    #[test]
    fn token_flow_and_expiry() {
        let s = ImdsServer::new("reader");
        let t0 = Instant::now();
        let now = SystemTime::now();
        let creds = Credentials::builder("AKID", "SECRET")
            .session_token(Some("TOKEN".into()))
            .expiry(Some(now + Duration::from_secs(3600)))
            .provider("rolesanywhere")
            .build();
        s.set_credentials(creds, now);
        // No token: 401.
        let r = s.handle(
            &req("GET", "/latest/meta-data/iam/security-credentials/", &[]),
            now,
            t0,
        );
        assert_eq!(r.status(), 401);
        // Bad TTLs.
        for ttl in ["0", "21601", "x"] {
            let r = s.handle(&req("PUT", TOKEN_PATH, &[(TTL_HEADER, ttl)]), now, t0);
            assert_eq!(r.status(), 400, "ttl {ttl}");
        }
        let r = s.handle(
            &req(
                "PUT",
                TOKEN_PATH,
                &[(TTL_HEADER, "2"), ("x-forwarded-for", "1.2.3.4")],
            ),
            now,
            t0,
        );
        assert_eq!(r.status(), 400);
        let r = s.handle(&req("PUT", TOKEN_PATH, &[(TTL_HEADER, "2")]), now, t0);
        assert_eq!(r.status(), 200);
        let token = String::from_utf8(r.into_body()).unwrap();
        let h = [(TOKEN_HEADER, token.as_str())];
        let r = s.handle(
            &req("GET", "/latest/meta-data/iam/security-credentials/", &h),
            now,
            t0,
        );
        assert_eq!(r.status(), 200);
        assert_eq!(r.body(), b"reader");
        let r = s.handle(
            &req(
                "GET",
                "/latest/meta-data/iam/security-credentials/reader",
                &h,
            ),
            now,
            t0,
        );
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = serde_json::from_slice(r.body()).unwrap();
        assert_eq!(v["AccessKeyId"], "AKID");
        assert_eq!(v["Token"], "TOKEN");
        assert_eq!(v["Code"], "Success");
        // Another role: 404; a wrong token: 401; the token after its TTL: 401.
        let r = s.handle(
            &req(
                "GET",
                "/latest/meta-data/iam/security-credentials/other",
                &h,
            ),
            now,
            t0,
        );
        assert_eq!(r.status(), 404);
        let r = s.handle(
            &req(
                "GET",
                "/latest/meta-data/iam/security-credentials/reader",
                &[(TOKEN_HEADER, "nope")],
            ),
            now,
            t0,
        );
        assert_eq!(r.status(), 401);
        let later = t0 + Duration::from_secs(3);
        let r = s.handle(
            &req(
                "GET",
                "/latest/meta-data/iam/security-credentials/reader",
                &h,
            ),
            now,
            later,
        );
        assert_eq!(r.status(), 401);
        // Expired credentials are never served.
        let r = s.handle(&req("PUT", TOKEN_PATH, &[(TTL_HEADER, "60")]), now, t0);
        let token = String::from_utf8(r.into_body()).unwrap();
        let h = [(TOKEN_HEADER, token.as_str())];
        let r = s.handle(
            &req(
                "GET",
                "/latest/meta-data/iam/security-credentials/reader",
                &h,
            ),
            now + Duration::from_secs(3601),
            t0,
        );
        assert_eq!(r.status(), 503);
    }

    #[test]
    fn role_names() {
        assert_eq!(role_name("arn:aws:iam::1:role/path/to/reader"), "reader");
    }
}
