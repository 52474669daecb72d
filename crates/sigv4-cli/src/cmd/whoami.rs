//! `sigv4 whoami`: STS GetCallerIdentity with the chain's credentials;
//! prints `{"UserId": …, "Account": …, "Arn": …}`.

use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use cred_providers::sts;
use cred_providers::{BlockingTransport, ProcessEnv, RealFiles, SharedConfig};

use super::chain_credentials;
use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct WhoamiArgs {
    /// The STS region (default: AWS_REGION, AWS_DEFAULT_REGION, the
    /// profile's region, else us-east-1).
    #[arg(long, value_name = "REGION")]
    region: Option<String>,
}

pub(crate) fn run(args: &WhoamiArgs, profile: Option<&str>) -> Result<String, CliError> {
    if args.region.as_deref() == Some("") {
        return Err(CliError::input("--region must not be empty"));
    }
    let creds = chain_credentials(profile, 1)?;
    let config = SharedConfig::load(
        Arc::new(ProcessEnv),
        Arc::new(RealFiles),
        profile.map(str::to_string),
    );
    let endpoint = config.sts_endpoint(args.region.as_deref());
    let req = sts::get_caller_identity_request(&endpoint, &creds, SystemTime::now())?;
    let resp = BlockingTransport::default()
        .send_blocking(req)
        .map_err(|e| CliError::with_code(1, format!("STS at {}: {e}", endpoint.url)))?;
    let id = sts::parse_caller_identity(&resp)?;
    let mut out = serde_json::to_string_pretty(&id).map_err(|e| CliError::with_code(1, e))?;
    out.push('\n');
    Ok(out)
}
