//! The `--format http` text form of a request: the request line in origin
//! form, then `Name: value` headers, LF line ends, no body.

use crate::CliError;

/// A request parsed from its text form.
#[derive(Debug)]
pub(crate) struct HttpText {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) headers: Vec<(String, String)>,
}

/// Renders a request line and headers.
pub(crate) fn render(method: &str, target: &str, headers: &[(String, String)]) -> String {
    let mut out = format!("{method} {target} HTTP/1.1\n");
    for (n, v) in headers {
        out.push_str(n);
        out.push_str(": ");
        out.push_str(v);
        out.push('\n');
    }
    out
}

/// Parses the text form (CRLF line ends are accepted too). Headers end at
/// the first empty line or at the end of the input.
pub(crate) fn parse(text: &str) -> Result<HttpText, CliError> {
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let request_line = lines
        .next()
        .filter(|l| !l.is_empty())
        .ok_or_else(|| CliError::input("no request line on stdin"))?;
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CliError::input(
            "malformed request line: expected 'METHOD /path HTTP/1.1'",
        ));
    };
    if !version.starts_with("HTTP/") || method.is_empty() || target.is_empty() {
        return Err(CliError::input(
            "malformed request line: expected 'METHOD /path HTTP/1.1'",
        ));
    }
    let mut headers = Vec::new();
    for line in lines {
        if line.is_empty() {
            break;
        }
        let (n, v) = line.split_once(':').ok_or_else(|| {
            CliError::input(format!("malformed header line without ':': {line:.60}"))
        })?;
        headers.push((n.trim().to_string(), v.trim().to_string()));
    }
    Ok(HttpText {
        method: method.to_string(),
        target: target.to_string(),
        headers,
    })
}
