//! The X.509 signature algorithms of IAM Roles Anywhere behind
//! `sigv4-core`'s [`SignatureAlgorithm`], so the canonical request and the
//! string to sign are sigv4-core's own and only the last step differs.
//!
//! A key held elsewhere (PKCS#11, a TPM, a platform store) plugs in by
//! implementing [`SignatureAlgorithm`] the same way; nothing in
//! [`crate::session`] knows which signer it holds.

use sigv4_core::{SignError, SignatureAlgorithm, Sink, StringToSign};

use crate::cert::KeyType;
use crate::key::{Digest, PrivateKey};

/// `AWS4-X509-RSA-SHA256` (RSA PKCS#1 v1.5, SHA-256) or
/// `AWS4-X509-ECDSA-SHA256` (ECDSA over P-256 or P-384 with SHA-256, DER
/// signature) or `AWS4-X509-MLDSA` (pure ML-DSA over the string to sign,
/// empty context), by the key's type.
#[derive(Debug)]
pub struct X509Signer {
    key: PrivateKey,
    serial: String,
    /// Why the last signature failed, in the key's words (sigv4-core's
    /// `SignError` carries only a fixed text): read by the provider.
    failure: FailureSlot,
}

/// Where an [`X509Signer`] leaves why its last signature failed (a token
/// that wants a PIN, a key that refuses), for whoever holds the signer
/// behind `dyn SignatureAlgorithm`.
#[derive(Clone, Debug, Default)]
pub struct FailureSlot(std::sync::Arc<std::sync::Mutex<Option<crate::Error>>>);

impl FailureSlot {
    /// Takes the failure left there, if any.
    pub fn take(&self) -> Option<crate::Error> {
        match self.0.lock() {
            Ok(mut g) => g.take(),
            Err(p) => p.into_inner().take(),
        }
    }

    fn put(&self, e: crate::Error) {
        match self.0.lock() {
            Ok(mut g) => *g = Some(e),
            Err(p) => *p.into_inner() = Some(e),
        }
    }
}

impl X509Signer {
    /// A signer for `key`, whose certificate has serial `serial_decimal`.
    pub fn new(key: PrivateKey, serial_decimal: &str) -> Self {
        Self {
            key,
            serial: serial_decimal.to_string(),
            failure: FailureSlot::default(),
        }
    }

    /// Where a failed signature's reason is left.
    pub fn failure_slot(&self) -> FailureSlot {
        self.failure.clone()
    }

    /// The key.
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }
}

/// The algorithm name for a key type.
pub fn algorithm_name(key_type: KeyType) -> &'static str {
    match key_type {
        KeyType::Rsa => "AWS4-X509-RSA-SHA256",
        KeyType::P256 | KeyType::P384 => "AWS4-X509-ECDSA-SHA256",
        KeyType::MlDsa44 | KeyType::MlDsa65 | KeyType::MlDsa87 => "AWS4-X509-MLDSA",
    }
}

impl SignatureAlgorithm for X509Signer {
    fn name(&self) -> &'static str {
        algorithm_name(self.key.key_type())
    }

    fn credential_id(&self) -> &str {
        &self.serial
    }

    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError> {
        let mut message = Vec::with_capacity(256);
        string_to_sign.write(&mut message);
        let sig = self.key.sign(&message, Digest::Sha256).map_err(|e| {
            self.failure.put(e);
            SignError::Algorithm("the X.509 signature failed")
        })?;
        out.put(&sig);
        Ok(())
    }
}
