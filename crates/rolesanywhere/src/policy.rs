//! The trust policy of a role that Roles Anywhere assumes for a
//! certificate: the service as principal, the trust anchor as source, and
//! conditions on the principal tags the service derives from the
//! certificate (subject, issuer, SANs).

use serde_json::{Map, Value, json};

use crate::Error;
use crate::cert::EndEntity;

/// The tags a policy conditions on when none are chosen: the subject's
/// common name and organisational unit (those the certificate has).
pub const DEFAULT_TAGS: [&str; 2] = ["x509Subject/CN", "x509Subject/OU"];

/// The role trust policy for `certificate` through `trust_anchor_arn`:
/// `sts:AssumeRole`, `sts:TagSession` and `sts:SetSourceIdentity` for
/// `rolesanywhere.amazonaws.com`, `aws:SourceArn` equal to the trust anchor,
/// and `aws:PrincipalTag/…` equal to the certificate's value of each of
/// `tags` (names as `read-certificate-data` prints them: `x509Subject/CN`,
/// `x509SAN/DNS`, …; empty: [`DEFAULT_TAGS`]).
///
/// ```
/// # use rolesanywhere::cert::EndEntity;
/// let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/kat/alice-cert.crt"))?;
/// let cert = EndEntity::from_bytes(&pem)?;
/// let anchor = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/ta";
/// let policy = rolesanywhere::policy::trust_policy(&cert, anchor, &[])?;
/// assert_eq!(policy["Statement"][0]["Condition"]["ArnEquals"]["aws:SourceArn"], anchor);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn trust_policy(
    certificate: &EndEntity,
    trust_anchor_arn: &str,
    tags: &[&str],
) -> Result<Value, Error> {
    if !trust_anchor_arn.starts_with("arn:")
        || !trust_anchor_arn.contains(":rolesanywhere:")
        || !trust_anchor_arn.contains(":trust-anchor/")
    {
        return Err(Error::InvalidParameter(format!(
            "{trust_anchor_arn:?} is not a Roles Anywhere trust anchor ARN"
        )));
    }
    let present = certificate.principal_tags();
    let value_of = |name: &str| {
        present
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let mut conditions = Map::new();
    if tags.is_empty() {
        for name in DEFAULT_TAGS {
            if let Some(v) = value_of(name) {
                conditions.insert(format!("aws:PrincipalTag/{name}"), Value::String(v));
            }
        }
        if conditions.is_empty() {
            return Err(Error::InvalidParameter(
                "the certificate's subject has no CN or OU to condition on; choose tags".into(),
            ));
        }
    } else {
        for name in tags {
            let v = value_of(name).ok_or_else(|| {
                let names: Vec<&str> = present.iter().map(|(k, _)| k.as_str()).collect();
                Error::InvalidParameter(format!(
                    "the certificate has no {name} (it has {})",
                    names.join(", ")
                ))
            })?;
            conditions.insert(format!("aws:PrincipalTag/{name}"), Value::String(v));
        }
    }
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "rolesanywhere.amazonaws.com"},
            "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
            "Condition": {
                "ArnEquals": {"aws:SourceArn": trust_anchor_arn},
                "StringEquals": conditions,
            },
        }],
    }))
}
