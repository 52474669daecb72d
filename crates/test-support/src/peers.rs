//! The real programs the tests compare this project with, built at their
//! pinned versions by `scripts/peers` (from the Go module proxy). A test
//! that needs one fails, never skips, when it cannot be had.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

/// AWS's `aws_signing_helper` (`rolesanywhere-credential-helper`): from
/// `AWS_SIGNING_HELPER` when set, otherwise built (or found built) by
/// `scripts/peers`.
pub fn aws_signing_helper() -> &'static PathBuf {
    static HELPER: OnceLock<PathBuf> = OnceLock::new();
    HELPER.get_or_init(|| {
        if let Some(path) = std::env::var_os("AWS_SIGNING_HELPER") {
            return path.into();
        }
        let out = Command::new(crate::workspace_root().join("scripts/peers"))
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .expect("scripts/peers could not be run");
        assert!(
            out.status.success(),
            "scripts/peers failed: aws_signing_helper is required for these tests"
        );
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines()
            .find_map(|l| l.strip_prefix("AWS_SIGNING_HELPER="))
            .unwrap_or_else(|| panic!("scripts/peers printed no AWS_SIGNING_HELPER: {text}"))
            .into()
    })
}
