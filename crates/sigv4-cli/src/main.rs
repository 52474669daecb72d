//! `sigv4`: sign, presign and verify AWS SigV4 requests from the shell.
//!
//! Every error is one line on stderr and a non-zero exit status; nothing is
//! printed on stdout unless the command succeeded.

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod error;
mod http_text;

pub(crate) use error::CliError;

/// Sign, presign and verify AWS Signature Version 4 requests.
#[derive(Parser, Debug)]
#[command(name = "sigv4", version, about, propagate_version = true)]
struct Cli {
    /// The shared-config profile to use (overrides AWS_PROFILE).
    #[arg(long, global = true, value_name = "NAME")]
    profile: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Sign a request (curl-like) and print what to send.
    Sign(cmd::sign::SignArgs),
    /// Verify a signed request read from stdin in the `sign --format http` form.
    Verify(cmd::verify::VerifyArgs),
    /// Print the credentials the default chain finds.
    Credentials(cmd::credentials::CredentialsArgs),
    /// Send a request (curl-like), signed with the credential chain.
    Request(cmd::request::RequestArgs),
    /// Ask STS who the credentials belong to (GetCallerIdentity).
    Whoami(cmd::whoami::WhoamiArgs),
    /// Build HashiCorp Vault's AWS iam login payload, or log in with it.
    VaultLogin(cmd::vault_login::VaultLoginArgs),
    /// Web identity set-up: an issuer's keys and discovery document, a
    /// role's trust policy, a local check of a service-account token.
    Oidc(cmd::oidc::OidcArgs),
    /// A local signing proxy for tools that cannot sign SigV4.
    Proxy(cmd::proxy::ProxyArgs),
    /// Print an EKS token (a kubeconfig exec plugin's ExecCredential).
    EksToken(cmd::iam_login::EksTokenArgs),
    /// Check a Vault iam login payload or an EKS token (stdin), then ask
    /// STS who signed it.
    VerifyLogin(cmd::iam_login::VerifyLoginArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        // `sign` may print a binary body (aws-chunked); the rest print text.
        Command::Sign(args) => cmd::sign::run(&args, cli.profile.as_deref()),
        Command::Verify(args) => cmd::verify::run(&args).map(String::into_bytes),
        Command::Credentials(args) => {
            cmd::credentials::run(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::Whoami(args) => {
            cmd::whoami::run(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::Request(args) => {
            cmd::request::run(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::VaultLogin(args) => {
            cmd::vault_login::run(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::Oidc(args) => cmd::oidc::run(&args).map(String::into_bytes),
        Command::Proxy(args) => {
            cmd::proxy::run(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::EksToken(args) => {
            cmd::iam_login::eks_token(&args, cli.profile.as_deref()).map(String::into_bytes)
        }
        Command::VerifyLogin(args) => cmd::iam_login::verify_login(&args).map(String::into_bytes),
    };
    match result {
        Ok(out) => {
            let mut stdout = std::io::stdout().lock();
            if stdout
                .write_all(&out)
                .and_then(|()| stdout.flush())
                .is_err()
            {
                return ExitCode::from(1);
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("sigv4: {}", e.message());
            ExitCode::from(e.code())
        }
    }
}
