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
