//! One module per command, plus what they share: request bodies and
//! credentials from the environment.

use std::io::Read;

use crate::CliError;

pub(crate) mod credentials;
pub(crate) mod iam_login;
pub(crate) mod oidc;
pub(crate) mod proxy;
pub(crate) mod request;
pub(crate) mod sign;
pub(crate) mod vault_login;
pub(crate) mod verify;
pub(crate) mod whoami;

/// Reads a curl-style data argument: `@FILE` is the file's bytes (`@-` is
/// stdin), anything else is the string itself.
pub(crate) fn read_data(spec: &str) -> Result<Vec<u8>, CliError> {
    match spec.strip_prefix('@') {
        Some("-") => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| CliError::input(format!("cannot read stdin: {e}")))?;
            Ok(buf)
        }
        Some(path) => {
            std::fs::read(path).map_err(|e| CliError::input(format!("cannot read {path}: {e}")))
        }
        None => Ok(spec.as_bytes().to_vec()),
    }
}

/// The curl-like flags that `sign` and `request` share.
#[derive(clap::Args, Debug)]
pub(crate) struct CurlArgs {
    /// HTTP method (default: GET, or POST with a body).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    method: Option<String>,
    /// A header to send (and sign), as 'Name: value'; 'Name:' leaves the
    /// header out (as curl), e.g. the default Content-Type. Repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Body text; several are joined with '&'. '@FILE' reads a file without
    /// its line breaks, as curl does. Without a Content-Type header, a body
    /// that starts with '{' or '[' goes as application/json (OpenSearch
    /// refuses a body without a JSON type), any other as
    /// application/x-www-form-urlencoded, as curl.
    #[arg(
        short = 'd',
        long = "data",
        value_name = "STRING",
        conflicts_with = "data_binary"
    )]
    data: Vec<String>,
    /// Body bytes: '@FILE' (or '@-' for stdin) read as they are, or a string
    /// (typed as with -d).
    #[arg(long = "data-binary", value_name = "@FILE|STRING")]
    data_binary: Option<String>,
}

/// What [`CurlArgs`] describe.
pub(crate) struct CurlRequest {
    pub(crate) method: String,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl CurlArgs {
    /// Parses the headers and reads the body; with a body and no `-X`, the
    /// method is POST, as in curl.
    pub(crate) fn parse(&self) -> Result<CurlRequest, CliError> {
        let mut headers = self
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        let body = read_body(&self.data, self.data_binary.as_deref())?;
        if let Some(b) = &body
            && !headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".to_string(), default_content_type(b).into()));
        }
        // As in curl, `-H 'Name:'` (nothing after the colon) removes the
        // header, e.g. the default Content-Type.
        headers.retain(|(_, v)| !v.is_empty());
        let method = match (&self.method, &body) {
            (Some(m), _) => m.clone(),
            (None, Some(_)) => "POST".to_string(),
            (None, None) => "GET".to_string(),
        };
        Ok(CurlRequest {
            method,
            headers,
            body: body.unwrap_or_default(),
        })
    }
}

/// The type of a body given without one: JSON when it looks like JSON
/// (what OpenSearch and the AWS JSON APIs take), else curl's form type.
fn default_content_type(body: &[u8]) -> &'static str {
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{' | b'[') => "application/json",
        _ => "application/x-www-form-urlencoded",
    }
}

/// A curl-style `-H 'Name: value'`.
fn parse_header(h: &str) -> Result<(String, String), CliError> {
    let (name, value) = h
        .split_once(':')
        .ok_or_else(|| CliError::input(format!("header without a colon: {h:.60}")))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(CliError::input(format!("header without a name: {h:.60}")));
    }
    Ok((name.to_string(), value.trim_start().to_string()))
}

/// The body of curl-style `-d` (several joined with `&`; `@FILE` without
/// line breaks) or `--data-binary`.
fn read_body(data: &[String], data_binary: Option<&str>) -> Result<Option<Vec<u8>>, CliError> {
    if let Some(spec) = data_binary {
        return read_data(spec).map(Some);
    }
    if data.is_empty() {
        return Ok(None);
    }
    let mut parts = Vec::new();
    for d in data {
        let mut bytes = read_data(d)?;
        if d.starts_with('@') {
            bytes.retain(|&b| b != b'\n' && b != b'\r');
        }
        parts.push(bytes);
    }
    Ok(Some(parts.join(&b'&')))
}

/// Static credentials from `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN` (what `verify` checks against).
#[derive(Clone)]
pub(crate) struct EnvCredentials {
    pub(crate) access_key_id: String,
    pub(crate) secret_access_key: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for EnvCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnvCredentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

fn non_empty_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

pub(crate) fn env_credentials() -> Result<EnvCredentials, CliError> {
    match (
        non_empty_env("AWS_ACCESS_KEY_ID"),
        non_empty_env("AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(access_key_id), Some(secret_access_key)) => Ok(EnvCredentials {
            access_key_id,
            secret_access_key: zeroize::Zeroizing::new(secret_access_key),
        }),
        _ => Err(CliError::input(
            "no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )),
    }
}

/// Headers the signer sets itself: a caller's copy is dropped, not sent
/// twice.
const SET_BY_SIGNER: &[&str] = &["authorization", "x-amz-date", "x-amz-security-token"];

/// True for a header the signer sets itself.
pub(crate) fn set_by_signer(name: &str) -> bool {
    SET_BY_SIGNER.iter().any(|h| name.eq_ignore_ascii_case(h))
}

/// Credentials from the default chain (environment, then the profile).
pub(crate) fn chain_credentials(
    profile: Option<&str>,
    code: u8,
) -> Result<cred_providers::Credentials, CliError> {
    let chain = cred_providers::DefaultChain::from_process(profile.map(str::to_string));
    cred_providers::provide_blocking(&chain).map_err(|e| CliError::credentials(e, code))
}

/// The region: `--region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`,
/// else the profile's `region`.
pub(crate) fn region(flag: Option<&str>, profile: Option<&str>) -> Result<String, CliError> {
    if flag == Some("") {
        return Err(CliError::input("--region must not be empty"));
    }
    cred_providers::resolve_region(
        flag,
        &cred_providers::ProcessEnv,
        &cred_providers::RealFiles,
        profile,
    )
    .map(|(r, _)| r)
    .ok_or_else(|| {
        CliError::input("no region: pass --region, set AWS_REGION, or set region in the profile")
    })
}
