//! The CLI's error: a one-line message and an exit status.

use std::fmt;

/// What went wrong, and which exit status says so.
#[derive(Debug)]
pub(crate) struct CliError {
    code: u8,
    message: String,
}

impl CliError {
    /// Unusable input: bad flags, URL, header, file, date; missing
    /// credentials or region. Exit status 2.
    pub(crate) fn input(message: impl fmt::Display) -> Self {
        Self::with_code(2, message)
    }

    /// Anything else, with its own exit status.
    pub(crate) fn with_code(code: u8, message: impl fmt::Display) -> Self {
        // One line, whatever the source said.
        let message = message.to_string().replace(['\n', '\r'], " ");
        Self { code, message }
    }

    pub(crate) fn code(&self) -> u8 {
        self.code
    }

    pub(crate) fn message(&self) -> &str {
        &self.message
    }
}

// The exit status of every library error, decided here and only here:
// 2 for input the user must fix, 1 for a refusal or a failure on the way.

impl From<sigv4_core::VerifyError> for CliError {
    /// A signature that does not verify is a refusal: 1.
    fn from(e: sigv4_core::VerifyError) -> Self {
        Self::with_code(1, e)
    }
}

impl From<sigv4_core::RequestError> for CliError {
    /// A request the signer cannot take (URL, header): unusable input, 2.
    fn from(e: sigv4_core::RequestError) -> Self {
        Self::input(e)
    }
}

impl From<sigv4_core::SignError> for CliError {
    /// Parameters the signer refuses (region, service, time): input, 2.
    fn from(e: sigv4_core::SignError) -> Self {
        Self::input(e)
    }
}

impl From<cred_providers::TransportError> for CliError {
    /// No answer from the endpoint: 1.
    fn from(e: cred_providers::TransportError) -> Self {
        Self::with_code(1, e)
    }
}

impl From<cred_providers::sts::StsError> for CliError {
    /// STS refused (in its own words) or answered nonsense: 1.
    fn from(e: cred_providers::sts::StsError) -> Self {
        match e {
            cred_providers::sts::StsError::Service { code, message, .. } => {
                Self::with_code(1, format!("{code}: {message}"))
            }
            other => Self::with_code(1, other),
        }
    }
}

impl From<cred_providers::vault::VaultError> for CliError {
    /// A login option the user gave is unusable: 2; Vault refused or
    /// answered nonsense: 1.
    fn from(e: cred_providers::vault::VaultError) -> Self {
        match e {
            cred_providers::vault::VaultError::Invalid(_) => Self::input(e),
            other => Self::with_code(1, other),
        }
    }
}

impl CliError {
    /// No credentials: `missing` (2 where a command cannot even start
    /// without them, 1 where finding them is the command's job) when none
    /// are configured or the configuration is broken; 1 when a provider
    /// tried and failed.
    pub(crate) fn credentials(e: cred_providers::CredentialsError, missing: u8) -> Self {
        let code = match e.kind() {
            cred_providers::ErrorKind::Failed => 1,
            _ => missing,
        };
        Self::with_code(code, format!("credentials: {e}"))
    }
}
