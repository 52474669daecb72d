//! Percent-encoding as SigV4 and the AWS query protocol want it: every
//! byte but the unreserved characters `A-Z a-z 0-9 - . _ ~`.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The bytes that are encoded: all but the unreserved characters.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `s` with every byte but the unreserved characters percent-encoded (a
/// query value, a form field, a path segment).
///
/// ```
/// assert_eq!(cred_providers::encoding::encode("a b/c~"), "a%20b%2Fc~");
/// ```
pub fn encode(s: &str) -> String {
    utf8_percent_encode(s, UNRESERVED).to_string()
}
