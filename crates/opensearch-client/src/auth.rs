//! How requests are authenticated: not at all, with basic auth (the master
//! user of fine-grained access control), or with SigV4 and credentials from
//! a `cred-providers` provider, resolved through its cache (never once per
//! request).

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use cred_providers::{CachedProvider, ProvideCredentials};
use sigv4_core::{Payload, Signer, SigningParams, Timestamp};
use zeroize::Zeroizing;

use crate::error::Error;

/// The SigV4 signing name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Amazon OpenSearch Service domains (`es`).
    Es,
    /// OpenSearch Serverless (`aoss`): `x-amz-content-sha256` is added and
    /// signed, as Serverless requires.
    Aoss,
}

impl Service {
    /// The signing name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Es => "es",
            Service::Aoss => "aoss",
        }
    }
}

/// The authentication of every request.
pub enum Auth {
    /// None (a local cluster without security).
    None,
    /// HTTP basic auth.
    Basic {
        /// The user.
        username: String,
        /// The password (zeroised on drop, never shown).
        password: Zeroizing<String>,
    },
    /// SigV4.
    SigV4 {
        /// Where credentials come from, behind a cache.
        provider: CachedProvider,
        /// The signing region.
        region: String,
        /// `es` or `aoss`.
        service: Service,
        /// The signing-key cache.
        signer: Box<Mutex<Signer>>,
    },
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("None"),
            Auth::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .finish_non_exhaustive(),
            Auth::SigV4 {
                region, service, ..
            } => f
                .debug_struct("SigV4")
                .field("region", region)
                .field("service", service)
                .finish_non_exhaustive(),
        }
    }
}

impl Auth {
    /// Basic auth.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Auth::Basic {
            username: username.into(),
            password: Zeroizing::new(password.into()),
        }
    }

    /// SigV4 with credentials from `provider` (any provider: it is put
    /// behind a [`CachedProvider`] here, so credentials are fetched when
    /// they near expiry, never once per request) for `service` in `region`.
    pub fn sigv4(
        provider: impl ProvideCredentials + 'static,
        region: impl Into<String>,
        service: Service,
    ) -> Self {
        Self::sigv4_cached(CachedProvider::new(Arc::new(provider)), region, service)
    }

    /// SigV4 with an existing cache (for example one shared with other
    /// clients, or [`cred_providers::default_provider`]'s).
    pub fn sigv4_cached(
        provider: CachedProvider,
        region: impl Into<String>,
        service: Service,
    ) -> Self {
        Auth::SigV4 {
            provider,
            region: region.into(),
            service,
            signer: Box::new(Mutex::new(Signer::new())),
        }
    }

    /// Authenticates `req` (whose body is the payload) as of `now`.
    pub async fn apply(
        &self,
        req: &mut http::Request<Vec<u8>>,
        now: SystemTime,
    ) -> Result<(), Error> {
        match self {
            Auth::None => Ok(()),
            Auth::Basic { username, password } => {
                // Every copy of the password is zeroised: the joined
                // credentials, and the header text before `http` takes it.
                let mut joined = Zeroizing::new(Vec::with_capacity(
                    username.len() + 1 + password.as_str().len(),
                ));
                joined.extend_from_slice(username.as_bytes());
                joined.push(b':');
                joined.extend_from_slice(password.as_str().as_bytes());
                // Sized up front: growing would leave a copy behind.
                let mut header =
                    Zeroizing::new(String::with_capacity(6 + joined.len().div_ceil(3) * 4));
                header.push_str("Basic ");
                STANDARD.encode_string(joined.as_slice(), &mut header);
                let mut value = http::HeaderValue::from_str(header.as_str()).map_err(|_| {
                    Error::Request("the user name or password cannot be sent in a header".into())
                })?;
                value.set_sensitive(true);
                req.headers_mut().insert(http::header::AUTHORIZATION, value);
                Ok(())
            }
            Auth::SigV4 {
                provider,
                region,
                service,
                signer,
            } => {
                let creds = provider.credentials().await?;
                let time = Timestamp::from(now);
                let mut params = SigningParams::new(region, service.name(), time);
                params.settings.content_sha256_header = *service == Service::Aoss;
                let body = std::mem::take(req.body_mut());
                let mut signer = match signer.lock() {
                    Ok(g) => g,
                    Err(p) => p.into_inner(),
                };
                let result = sigv4_core::http_sign::sign(
                    &mut signer,
                    req,
                    Payload::Bytes(&body),
                    &creds.signing(),
                    &params,
                );
                *req.body_mut() = body;
                result.map_err(Error::Sign)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cred_providers::{EnvironmentProvider, MapEnv};
    use sigv4_core::Verifier;
    use std::time::UNIX_EPOCH;

    fn provider() -> Arc<CachedProvider> {
        let env = MapEnv::new([
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            ),
        ]);
        Arc::new(CachedProvider::new(Arc::new(EnvironmentProvider::new(
            Arc::new(env),
        ))))
    }

    fn request() -> http::Request<Vec<u8>> {
        crate::security::put_role_mapping(
            "all_access",
            &crate::security::RoleMapping {
                backend_roles: vec!["arn:aws:iam::123456789012:role/app".into()],
                ..Default::default()
            },
        )
        .unwrap()
        .to_http("https://search-d.eu-west-1.es.amazonaws.com")
        .unwrap()
    }

    fn verify(req: &http::Request<Vec<u8>>, now: SystemTime) -> sigv4_core::Verified {
        let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        sigv4_core::http_sign::verify(
            &mut Verifier::default(),
            req,
            Payload::Bytes(req.body()),
            Timestamp::from_unix_seconds(secs).unwrap(),
            |_| Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        )
        .unwrap()
    }

    #[test]
    fn basic_auth_header() {
        let mut req = request();
        pollster::block_on(Auth::basic("admin", "p@ss:word").apply(&mut req, SystemTime::now()))
            .unwrap();
        // base64("admin:p@ss:word")
        assert_eq!(req.headers()["authorization"], "Basic YWRtaW46cEBzczp3b3Jk");
        assert!(req.headers()["authorization"].is_sensitive());
        assert!(!format!("{:?}", Auth::basic("admin", "p@ss:word")).contains("p@ss"));
    }

    #[test]
    fn sigv4_es_and_aoss() {
        let now = SystemTime::now();
        let mut req = request();
        pollster::block_on(Auth::sigv4(provider(), "eu-west-1", Service::Es).apply(&mut req, now))
            .unwrap();
        assert!(req.headers().get("x-amz-content-sha256").is_none());
        let v = verify(&req, now);
        assert_eq!(v.service.as_str(), "es");
        let mut req = request();
        pollster::block_on(
            Auth::sigv4(provider(), "eu-west-1", Service::Aoss).apply(&mut req, now),
        )
        .unwrap();
        let auth = req.headers()["authorization"].to_str().unwrap();
        assert!(auth.contains("x-amz-content-sha256"), "{auth}");
        assert_eq!(verify(&req, now).service.as_str(), "aoss");
        // Serverless: the signed hash header is the body's (64 hex digits).
        let sha = req.headers()["x-amz-content-sha256"].to_str().unwrap();
        assert_eq!(sha.len(), 64);
        // The body is kept and covered: changing it breaks the signature.
        let mut req = request();
        pollster::block_on(Auth::sigv4(provider(), "eu-west-1", Service::Es).apply(&mut req, now))
            .unwrap();
        assert!(!req.body().is_empty());
        *req.body_mut() = b"{}".to_vec();
        let secs = now.duration_since(UNIX_EPOCH).unwrap().as_secs();
        assert!(
            sigv4_core::http_sign::verify(
                &mut Verifier::default(),
                &req,
                Payload::Bytes(req.body()),
                Timestamp::from_unix_seconds(secs).unwrap(),
                |_| Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            )
            .is_err()
        );
    }
}
