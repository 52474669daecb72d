//! `sigv4 oidc`: the web identity set-up of a Kubernetes service-account
//! issuer (its key set, its discovery document, a role's trust policy),
//! and a local check of a projected token.
//!
//! Every command prints one JSON object on stdout. Errors are one line on
//! stderr with nothing on stdout: exit 2 for usage errors and unreadable
//! input, 1 for a refusal (`check-token`: the line names the failing check).

use std::time::Duration;

use clap::{Args, Subcommand};
use cred_providers::oidc::{self, Jwks, TokenCheck};
use sigv4_core::Timestamp;

use crate::CliError;

#[derive(Args, Debug)]
pub(crate) struct OidcArgs {
    #[command(subcommand)]
    command: OidcCommand,
}

#[derive(Subcommand, Debug)]
enum OidcCommand {
    /// Print the JWKS (keys.json) of service-account signing keys.
    Keys {
        /// A public key, PEM (`openssl pkey -pubout`). Repeatable.
        #[arg(long = "public-key", value_name = "PEM", required = true)]
        public_key: Vec<String>,
    },
    /// Print the issuer's .well-known/openid-configuration.
    Discovery {
        /// The issuer URL (`https://…`), as the cluster's
        /// `--service-account-issuer`.
        #[arg(long, value_name = "URL")]
        issuer: String,
    },
    /// Print the trust policy of a role assumed by a service account.
    TrustPolicy {
        /// The IAM OIDC provider (arn:aws:iam::ACCOUNT:oidc-provider/ISSUER).
        #[arg(long, value_name = "ARN")]
        provider_arn: String,
        /// The service account, NAMESPACE:NAME.
        #[arg(long, value_name = "NS:NAME")]
        service_account: String,
        /// The token audience.
        #[arg(long, value_name = "AUD", default_value = oidc::DEFAULT_AUDIENCE)]
        audience: String,
    },
    /// Check a projected service-account token: signature, iss, aud, exp,
    /// nbf. Exit 0 when valid; 1 with the failing check named.
    CheckToken {
        /// The issuer's key set (keys.json).
        #[arg(long, value_name = "FILE")]
        jwks: String,
        /// The expected issuer.
        #[arg(long, value_name = "URL")]
        issuer: String,
        /// The expected audience.
        #[arg(long, value_name = "AUD", default_value = oidc::DEFAULT_AUDIENCE)]
        audience: String,
        /// The clock skew allowed on exp and nbf, seconds.
        #[arg(long, value_name = "SECS", default_value_t = 60)]
        leeway: u64,
        /// The time to check against (default: now).
        #[arg(long, value_name = "YYYYMMDDTHHMMSSZ")]
        now: Option<String>,
        /// The token file (e.g. /var/run/secrets/eks.amazonaws.com/serviceaccount/token).
        #[arg(value_name = "TOKEN_FILE")]
        token_file: String,
    },
}

fn read(path: &str, what: &str) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| CliError::input(format!("cannot read the {what} {path}: {e}")))
}

fn json(v: &serde_json::Value) -> String {
    format!("{v}\n")
}

pub(crate) fn run(args: &OidcArgs) -> Result<String, CliError> {
    match &args.command {
        OidcCommand::Keys { public_key } => {
            let keys = public_key
                .iter()
                .map(|path| {
                    oidc::jwk_from_public_key(&read(path, "public key")?)
                        .map_err(|e| CliError::input(format!("{path}: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let set = serde_json::to_value(Jwks { keys }).map_err(|e| CliError::with_code(1, e))?;
            Ok(json(&set))
        }
        OidcCommand::Discovery { issuer } => {
            if !issuer.starts_with("https://") {
                return Err(CliError::input("--issuer must be an https:// URL"));
            }
            Ok(json(&oidc::discovery(issuer)))
        }
        OidcCommand::TrustPolicy {
            provider_arn,
            service_account,
            audience,
        } => {
            let (ns, name) = service_account
                .split_once(':')
                .ok_or_else(|| CliError::input("--service-account must be NAMESPACE:NAME"))?;
            let policy =
                oidc::trust_policy(provider_arn, ns, name, audience).map_err(CliError::input)?;
            Ok(json(&policy))
        }
        OidcCommand::CheckToken {
            jwks,
            issuer,
            audience,
            leeway,
            now,
            token_file,
        } => {
            let set: Jwks = serde_json::from_slice(&read(jwks, "key set")?)
                .map_err(|e| CliError::input(format!("{jwks} is not a JWKS: {e}")))?;
            let token = String::from_utf8(read(token_file, "token")?)
                .map_err(|_| CliError::input(format!("{token_file} is not text")))?;
            let now = match now {
                Some(t) => t
                    .parse::<Timestamp>()
                    .map_err(|e| CliError::input(format!("--now: {e}")))?
                    .into(),
                None => std::time::SystemTime::now(),
            };
            let check = TokenCheck {
                issuer,
                audience,
                now,
                leeway: Duration::from_secs(*leeway),
            };
            // A file that holds no token is unusable input (2); a token
            // that fails a check is a refusal (1).
            let claims = oidc::check_token(&token, &set, &check).map_err(|e| match e {
                oidc::TokenError::Malformed(_) => CliError::input(format!("{token_file}: {e}")),
                other => CliError::with_code(1, format!("invalid token: {other}")),
            })?;
            Ok(json(&serde_json::json!({
                "valid": true,
                "iss": claims["iss"],
                "sub": claims["sub"],
                "aud": claims["aud"],
                "exp": claims["exp"],
            })))
        }
    }
}
