//! `sigv4 eks-token` and `sigv4 verify-login`: the two halves of "prove
//! your IAM identity" logins (a presigned or signed `GetCallerIdentity`).
//!
//! Each prints one JSON object on stdout. Errors are one line on stderr
//! with nothing on stdout: exit 2 for usage errors and unreadable input, 1
//! for a refusal or any other failure.

use std::io::Read;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::Args;
use cred_providers::iam_login::{self, LoginError, LoginPolicy};
use cred_providers::sts::AssumeRoleParams;
use cred_providers::{
    AssumeRoleProvider, BlockingTransport, ProcessEnv, ProvideCredentials, RealFiles, SharedConfig,
};

use super::chain_credentials;
use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct EksTokenArgs {
    /// The EKS cluster's name (signed in x-k8s-aws-id).
    #[arg(long, value_name = "NAME")]
    cluster_name: String,
    /// The STS region (default: AWS_REGION, AWS_DEFAULT_REGION, the
    /// profile's; without one, sts.amazonaws.com signed for us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
    /// Assume this role first.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
}

pub(crate) fn eks_token(args: &EksTokenArgs, profile: Option<&str>) -> Result<String, CliError> {
    if args.cluster_name.is_empty() {
        return Err(CliError::input("--cluster-name must not be empty"));
    }
    if args.region.as_deref() == Some("") {
        return Err(CliError::input("--region must not be empty"));
    }
    let config = SharedConfig::load(
        Arc::new(ProcessEnv),
        Arc::new(RealFiles),
        profile.map(str::to_string),
    );
    let region = config.region(args.region.as_deref()).map(|(r, _)| r);
    let mut creds = chain_credentials(profile, 1)?;
    if let Some(role) = &args.role_arn {
        let source = cred_providers::CachedProvider::new(Arc::new(StaticCreds(creds)));
        let assume = AssumeRoleProvider::new(
            Arc::new(source),
            AssumeRoleParams {
                role_arn: role.clone(),
                session_name: None,
                external_id: None,
                duration_seconds: None,
            },
            config.sts_endpoint(region.as_deref()),
            Arc::new(BlockingTransport::default()),
        );
        creds =
            cred_providers::provide_blocking(&assume).map_err(|e| CliError::credentials(e, 1))?;
    }
    let token = iam_login::eks_token(
        &creds,
        &args.cluster_name,
        region.as_deref(),
        SystemTime::now(),
    )
    .map_err(CliError::input)?;
    Ok(format!("{}\n", token.exec_credential()))
}

/// Credentials that are simply there.
#[derive(Debug)]
struct StaticCreds(cred_providers::Credentials);

impl ProvideCredentials for StaticCreds {
    fn provide_credentials(&self) -> cred_providers::ProvideFuture<'_> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
}

#[derive(Args, Debug)]
pub(crate) struct VerifyLoginArgs {
    /// Where to send the login (default: the STS endpoint it was signed
    /// for). Its host is also allowed as the login's host.
    #[arg(long, value_name = "URL")]
    sts_endpoint: Option<String>,
    /// The Vault server id the login must sign (X-Vault-AWS-IAM-Server-ID).
    #[arg(long, value_name = "ID")]
    server_id: Option<String>,
    /// The EKS cluster an EKS token must name (x-k8s-aws-id).
    #[arg(long, value_name = "NAME")]
    cluster_name: Option<String>,
    /// How far the signing time may be from now, seconds.
    #[arg(long, value_name = "SECS", default_value_t = 900)]
    max_skew: u64,
}

fn refused(e: LoginError) -> CliError {
    match e {
        LoginError::Malformed(_) | LoginError::Invalid(_) => CliError::input(e),
        other => CliError::with_code(1, format!("login refused: {other}")),
    }
}

pub(crate) fn verify_login(args: &VerifyLoginArgs) -> Result<String, CliError> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|e| CliError::input(format!("cannot read the login from stdin: {e}")))?;
    let mut login = iam_login::parse(&input).map_err(refused)?;
    let mut extra_hosts = Vec::new();
    if let Some(endpoint) = &args.sts_endpoint {
        let uri: http::Uri = endpoint
            .parse()
            .map_err(|_| CliError::input("--sts-endpoint is not a URL"))?;
        let authority = uri
            .authority()
            .ok_or_else(|| CliError::input("--sts-endpoint has no host"))?;
        extra_hosts.push(authority.as_str().to_string());
    }
    let policy = LoginPolicy {
        server_id: args.server_id.clone(),
        cluster_name: args.cluster_name.clone(),
        extra_hosts,
        max_skew: Duration::from_secs(args.max_skew),
    };
    iam_login::check(&login, &policy, SystemTime::now()).map_err(refused)?;
    if let Some(cluster) = &args.cluster_name {
        iam_login::with_cluster_header(&mut login, cluster);
    }
    // Only now, with the host checked, does anything leave this machine.
    let endpoint = match &args.sts_endpoint {
        Some(e) => e.clone(),
        None => format!(
            "https://{}",
            login.url().authority().map_or("", |a| a.as_str())
        ),
    };
    let req = login.sts_request(&endpoint).map_err(refused)?;
    let resp = BlockingTransport::default()
        .send_blocking(req)
        .map_err(|e| CliError::with_code(1, format!("STS at {endpoint}: {e}")))?;
    let id = iam_login::identity(&resp).map_err(refused)?;
    let out = serde_json::to_string(&id).map_err(|e| CliError::with_code(1, e))?;
    Ok(format!("{out}\n"))
}
