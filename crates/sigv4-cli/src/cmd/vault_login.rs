//! `sigv4 vault-login`: the Vault AWS `iam` login payload, and optionally
//! the login itself.

use std::time::SystemTime;

use clap::Args;
use cred_providers::BlockingTransport;
use cred_providers::vault::{self, LoginOptions};

use super::chain_credentials;
use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct VaultLoginArgs {
    /// The Vault role to log in as.
    #[arg(long, value_name = "ROLE")]
    role: String,
    /// X-Vault-AWS-IAM-Server-ID, when Vault requires one.
    #[arg(long, value_name = "VALUE")]
    server_id: Option<String>,
    /// The STS endpoint Vault is configured with.
    #[arg(long, value_name = "URL", default_value = vault::DEFAULT_STS_ENDPOINT)]
    sts_endpoint: String,
    /// The region to sign for (default: the one in a regional
    /// --sts-endpoint host, else us-east-1).
    #[arg(long, value_name = "REGION")]
    sts_region: Option<String>,
    /// Log in and print Vault's answer instead of the payload.
    #[arg(long)]
    login: bool,
    /// Vault's address (default: VAULT_ADDR).
    #[arg(long, value_name = "URL", requires = "login")]
    vault_addr: Option<String>,
    /// Where the aws auth method is mounted.
    #[arg(long, value_name = "PATH", default_value = "aws", requires = "login")]
    mount: String,
    /// The Vault namespace (X-Vault-Namespace).
    #[arg(long, value_name = "NS", requires = "login")]
    namespace: Option<String>,
}

pub(crate) fn run(args: &VaultLoginArgs, profile: Option<&str>) -> Result<String, CliError> {
    if args.role.is_empty() {
        return Err(CliError::input("--role must not be empty"));
    }
    let addr = if args.login {
        Some(
            args.vault_addr
                .clone()
                .or_else(|| std::env::var("VAULT_ADDR").ok().filter(|a| !a.is_empty()))
                .ok_or_else(|| {
                    CliError::input("no Vault address: pass --vault-addr or set VAULT_ADDR")
                })?,
        )
    } else {
        None
    };
    let opts = LoginOptions {
        role: args.role.clone(),
        server_id: args.server_id.clone(),
        sts_endpoint: args.sts_endpoint.clone(),
        sts_region: args
            .sts_region
            .clone()
            .unwrap_or_else(|| LoginOptions::region_of_endpoint(&args.sts_endpoint)),
    };
    let creds = chain_credentials(profile, 1)?;
    let payload = vault::login_payload(&opts, &creds, SystemTime::now())?;
    let out = match addr {
        None => serde_json::to_string_pretty(&payload).map_err(|e| CliError::with_code(1, e))?,
        Some(addr) => {
            let req =
                vault::login_request(&addr, &args.mount, args.namespace.as_deref(), &payload)?;
            let resp = BlockingTransport::default()
                .send_blocking(req)
                .map_err(|e| CliError::with_code(1, format!("Vault at {addr}: {e}")))?;
            let answer = vault::parse_login(&resp)?;
            serde_json::to_string_pretty(&answer.json).map_err(|e| CliError::with_code(1, e))?
        }
    };
    Ok(out + "\n")
}
