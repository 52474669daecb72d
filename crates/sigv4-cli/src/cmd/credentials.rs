//! `sigv4 credentials`: print what the default chain finds, as
//! `credential_process` JSON (default), shell `export` lines, or JSON with
//! the provider's name.

use clap::{Args, ValueEnum};
use cred_providers::process::ProcessJson;
use serde::Serialize;

use crate::CliError;

/// Output format of `credentials`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The credential_process JSON (Version 1).
    Process,
    /// `export NAME=value` lines for a shell.
    Env,
    /// The credential_process keys plus `Provider`.
    Json,
}

#[derive(Args, Debug)]
pub(crate) struct CredentialsArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Process)]
    format: Format,
    /// Report each step of the chain on stderr.
    #[arg(short = 'v', long)]
    verbose: bool,
}

/// The credential_process JSON, plus `Provider` for `--format json`.
#[derive(Serialize)]
struct Output<'a> {
    #[serde(flatten)]
    process: ProcessJson<'a>,
    #[serde(rename = "Provider", skip_serializing_if = "Option::is_none")]
    provider: Option<&'a str>,
}

/// Single-quotes a value for POSIX shells.
fn shell_quote(v: &str) -> String {
    format!("'{}'", v.replace('\'', r"'\''"))
}

pub(crate) fn run(args: &CredentialsArgs, profile: Option<&str>) -> Result<String, CliError> {
    let chain = cred_providers::DefaultChain::from_process(profile.map(str::to_string));
    let (result, steps) = pollster::block_on(chain.credentials_with_report());
    if args.verbose {
        for step in &steps {
            eprintln!("sigv4: {step}");
        }
    }
    let creds = result.map_err(|e| CliError::with_code(1, format!("credentials: {e}")))?;
    Ok(match args.format {
        Format::Process | Format::Json => {
            let json = Output {
                process: ProcessJson::new(&creds),
                provider: (args.format == Format::Json).then(|| creds.provider()),
            };
            let mut s = serde_json::to_string_pretty(&json)
                .map_err(|e| CliError::with_code(1, format!("cannot render JSON: {e}")))?;
            s.push('\n');
            s
        }
        Format::Env => {
            let mut out = String::new();
            let mut line = |name: &str, value: &str| {
                out.push_str(&format!("export {name}={}\n", shell_quote(value)));
            };
            line("AWS_ACCESS_KEY_ID", creds.access_key_id());
            line("AWS_SECRET_ACCESS_KEY", creds.secret_access_key());
            if let Some(t) = creds.session_token() {
                line("AWS_SESSION_TOKEN", t);
            }
            if let Some(e) = creds.expiry() {
                line(
                    "AWS_CREDENTIAL_EXPIRATION",
                    &cred_providers::time::format_rfc3339(e),
                );
            }
            out
        }
    })
}
