//! The X.509 signature algorithms of IAM Roles Anywhere, behind
//! `sigv4-core`'s `SignatureAlgorithm`, so the canonical request and string
//! to sign are sigv4-core's own.

use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use sigv4_core::{SignError, SignatureAlgorithm, Sink, StringToSign};

use crate::Error;

/// `AWS4-X509-RSA-SHA256`: RSA PKCS#1 v1.5 with SHA-256 (ring).
pub struct RsaSigner {
    key: RsaKeyPair,
    serial: String,
    rng: SystemRandom,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaSigner")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl RsaSigner {
    /// From a PKCS#8 DER RSA key and the certificate's decimal serial.
    pub fn from_pkcs8(der: &[u8], serial_decimal: &str) -> Result<Self, Error> {
        let key = RsaKeyPair::from_pkcs8(der).map_err(|e| Error::Key(e.to_string()))?;
        Ok(Self {
            key,
            serial: serial_decimal.to_string(),
            rng: SystemRandom::new(),
        })
    }
}

impl SignatureAlgorithm for RsaSigner {
    fn name(&self) -> &'static str {
        "AWS4-X509-RSA-SHA256"
    }

    fn credential_id(&self) -> &str {
        &self.serial
    }

    fn sign(
        &mut self,
        string_to_sign: &StringToSign<'_>,
        out: &mut dyn Sink,
    ) -> Result<(), SignError> {
        let mut message = Vec::new();
        string_to_sign.write(&mut message);
        let mut sig = vec![0u8; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, &message, &mut sig)
            .map_err(|_| SignError::Algorithm("RSA signing failed"))?;
        out.put(&sig);
        Ok(())
    }
}
