//! Where a workload's credentials come from, on loopback: an EC2 instance
//! metadata service (IMDSv2: a token first, then the role's credentials)
//! and an ECS/EKS container credentials endpoint (with its authorization
//! token). Both hand out fixed keys, for scenes whose subject is what the
//! credentials are used for (the protocols themselves are tested in
//! `cred-providers`' own tests).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::http::{Seen, serve_fn, text_response};

/// Keys a fake hands out.
#[derive(Clone, Debug)]
pub struct Keys {
    /// The access key id.
    pub access_key_id: String,
    /// The secret.
    pub secret: String,
    /// The session token.
    pub token: String,
}

fn credentials_json(keys: &Keys, role_arn: Option<&str>) -> String {
    let mut v = serde_json::json!({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "AccessKeyId": keys.access_key_id,
        "SecretAccessKey": keys.secret,
        "Token": keys.token,
        "Expiration": "2099-01-01T00:00:00Z",
    });
    if let Some(arn) = role_arn {
        v["RoleArn"] = serde_json::json!(arn);
    }
    v.to_string()
}

/// A fake EC2 instance metadata service.
#[derive(Clone, Debug)]
pub struct Ec2Metadata {
    /// `http://127.0.0.1:PORT`: `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
    pub endpoint: String,
    credential_reads: Arc<AtomicUsize>,
}

impl Ec2Metadata {
    /// Serves `keys` as the instance profile role `role_name`'s; every
    /// metadata read needs a token from `PUT /latest/api/token`.
    pub fn start(role_name: &str, keys: Keys) -> Self {
        let reads = Arc::new(AtomicUsize::new(0));
        let r = reads.clone();
        let role = role_name.to_string();
        let token = format!("imds-token-{}", std::process::id());
        let port = serve_fn(move |req: &Seen| {
            if req.method == "PUT" && req.target == "/latest/api/token" {
                return text_response("200 OK", &token);
            }
            if req.header("x-aws-ec2-metadata-token") != Some(token.as_str()) {
                return text_response("401 Unauthorized", "");
            }
            let list = [
                "/latest/meta-data/iam/security-credentials/",
                "/latest/meta-data/iam/security-credentials-extended/",
            ];
            if list.contains(&req.target.as_str()) {
                return text_response("200 OK", &role);
            }
            let creds = req
                .target
                .strip_prefix("/latest/meta-data/iam/security-credentials/")
                .or_else(|| {
                    req.target
                        .strip_prefix("/latest/meta-data/iam/security-credentials-extended/")
                });
            match creds {
                Some(name) if name == role => {
                    r.fetch_add(1, Ordering::Relaxed);
                    text_response("200 OK", &credentials_json(&keys, None))
                }
                _ => text_response("404 Not Found", ""),
            }
        });
        Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            credential_reads: reads,
        }
    }

    /// How many times the credentials were read.
    pub fn credential_reads(&self) -> usize {
        self.credential_reads.load(Ordering::Relaxed)
    }
}

/// A fake container credentials endpoint (ECS task role, EKS Pod
/// Identity).
#[derive(Clone, Debug)]
pub struct ContainerEndpoint {
    /// `http://127.0.0.1:PORT/v2/credentials/task`:
    /// `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub full_uri: String,
    /// `AWS_CONTAINER_AUTHORIZATION_TOKEN`, required on every request.
    pub authorization_token: String,
    credential_reads: Arc<AtomicUsize>,
}

impl ContainerEndpoint {
    /// Serves `keys` as the task role `role_arn`'s.
    pub fn start(role_arn: &str, keys: Keys) -> Self {
        let reads = Arc::new(AtomicUsize::new(0));
        let r = reads.clone();
        let auth = format!("container-auth-{}", std::process::id());
        let a = auth.clone();
        let body = credentials_json(&keys, Some(role_arn));
        let port = serve_fn(move |req: &Seen| {
            if req.method != "GET" || req.target != "/v2/credentials/task" {
                return text_response("404 Not Found", "");
            }
            if req.header("authorization") != Some(a.as_str()) {
                return text_response("401 Unauthorized", "");
            }
            r.fetch_add(1, Ordering::Relaxed);
            text_response("200 OK", &body)
        });
        Self {
            full_uri: format!("http://127.0.0.1:{port}/v2/credentials/task"),
            authorization_token: auth,
            credential_reads: reads,
        }
    }

    /// How many times the credentials were read.
    pub fn credential_reads(&self) -> usize {
        self.credential_reads.load(Ordering::Relaxed)
    }
}
