//! Loading what a workload holds — a certificate, its key, maybe
//! intermediates or a PKCS#12 bundle — into an [`Identity`], with the key
//! checked against the certificate before anything is sent.

use std::io::Read;
use std::path::PathBuf;
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::Error;
use crate::cert::{ChainCertificate, EndEntity, parse_chain};
use crate::key::{PrivateKey, read_pkcs12};
use crate::signer::X509Signer;

/// Where bytes come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// A file; `-` is standard input.
    Path(PathBuf),
    /// Bytes in memory.
    Bytes(Zeroizing<Vec<u8>>),
}

impl Source {
    /// A path (`-` for standard input).
    pub fn path(p: impl Into<PathBuf>) -> Self {
        Source::Path(p.into())
    }

    /// Bytes.
    pub fn bytes(b: impl Into<Vec<u8>>) -> Self {
        Source::Bytes(Zeroizing::new(b.into()))
    }

    fn is_stdin(&self) -> bool {
        matches!(self, Source::Path(p) if p.as_os_str() == "-")
    }

    /// The bytes; `what` names them in an error ("certificate", …).
    pub fn read(&self, what: &str) -> Result<Zeroizing<Vec<u8>>, Error> {
        match self {
            Source::Bytes(b) => Ok(b.clone()),
            Source::Path(p) if p.as_os_str() == "-" => {
                let mut buf = Zeroizing::new(Vec::new());
                std::io::stdin()
                    .read_to_end(&mut buf)
                    .map_err(|source| Error::Read {
                        what: what.to_string(),
                        from: "from stdin".into(),
                        source,
                    })?;
                Ok(buf)
            }
            Source::Path(p) => std::fs::read(p)
                .map(Zeroizing::new)
                .map_err(|source| Error::Read {
                    what: what.to_string(),
                    from: format!("file {}", p.display()),
                    source,
                }),
        }
    }
}

/// What to load.
#[derive(Clone, Debug)]
pub struct IdentitySource {
    /// The end-entity certificate (PEM or DER), or a PKCS#12 bundle when
    /// `private_key` is `None`.
    pub certificate: Source,
    /// The private key.
    pub private_key: Option<Source>,
    /// A PEM bundle of intermediates, sent in file order.
    pub intermediates: Option<Source>,
    /// The passphrase of an encrypted PKCS#8 key or of a PKCS#12 bundle.
    pub password: Option<Zeroizing<String>>,
}

/// A certificate, its chain and a signer for its key.
#[derive(Debug)]
pub struct Identity {
    /// The end-entity certificate.
    pub certificate: EndEntity,
    /// The intermediates (leaf excluded), in the order sent.
    pub chain: Vec<ChainCertificate>,
    /// The signer.
    pub signer: X509Signer,
}

impl Identity {
    /// Loads and checks: the key must belong to the certificate.
    pub fn load(source: &IdentitySource) -> Result<Self, Error> {
        let stdin_uses = [
            Some(&source.certificate),
            source.private_key.as_ref(),
            source.intermediates.as_ref(),
        ]
        .iter()
        .flatten()
        .filter(|s| s.is_stdin())
        .count();
        if stdin_uses > 1 {
            return Err(Error::InvalidParameter(
                "only one of the certificate, key and intermediates can be read from stdin (-)"
                    .into(),
            ));
        }
        let password = source.password.as_ref().map(|p| p.as_str());
        let cert_bytes = source.certificate.read("certificate")?;
        let (certificate, key, chain) = match &source.private_key {
            Some(key_source) => {
                let certificate = EndEntity::from_bytes(&cert_bytes)?;
                let key_bytes = key_source.read("private key")?;
                let key = PrivateKey::from_bytes(&key_bytes, password)?;
                (certificate, key, Vec::new())
            }
            None => {
                let bundle = read_pkcs12(&cert_bytes, password.unwrap_or("")).map_err(|e| match e {
                    Error::WrongPassphrase { .. } => e,
                    other => Error::key(format!(
                        "no private key given, so the certificate was read as a PKCS#12 bundle: {other}"
                    ))
                    .with_source(other),
                })?;
                (
                    EndEntity::from_der(&bundle.certificate)?,
                    bundle.key,
                    bundle.chain,
                )
            }
        };
        Self::assemble(certificate, key, chain, source.intermediates.as_ref())
    }

    /// The identity of `certificate` and `key`, which must belong to it;
    /// the chain is `intermediates` when given, else `chain`.
    fn assemble(
        certificate: EndEntity,
        key: PrivateKey,
        mut chain: Vec<ChainCertificate>,
        intermediates: Option<&Source>,
    ) -> Result<Self, Error> {
        if key.key_type() != certificate.key_type() || key.public_key() != certificate.public_key()
        {
            return Err(Error::KeyMismatch);
        }
        if let Some(inter) = intermediates {
            chain = parse_chain(&inter.read("intermediates")?)?;
        }
        // A full-chain file may hold the leaf too: it is sent in
        // X-Amz-X509 only.
        chain.retain(|c| c.der() != certificate.der());
        let signer = X509Signer::new(key, certificate.serial_decimal());
        Ok(Self {
            certificate,
            chain,
            signer,
        })
    }

    /// A certificate and key on a PKCS#11 token (the certificate may also
    /// be a file), with the intermediates from `intermediates`. The key
    /// must be the certificate's; it never leaves the token.
    #[cfg(feature = "pkcs11")]
    pub fn load_pkcs11(
        source: &crate::pkcs11::Pkcs11Source,
        intermediates: Option<&Source>,
    ) -> Result<Self, Error> {
        let (certificate, key) = crate::pkcs11::open(source)?;
        let key = PrivateKey::Pkcs11(Box::new(key));
        Self::assemble(certificate, key, Vec::new(), intermediates)
    }

    /// A certificate (file or bytes) whose key is in a TPM 2.0, with the
    /// intermediates from `intermediates`. The key must be the
    /// certificate's; it never leaves the TPM.
    #[cfg(feature = "tpm")]
    pub fn load_tpm(
        certificate: &Source,
        key: &crate::tpm::TpmSource,
        intermediates: Option<&Source>,
    ) -> Result<Self, Error> {
        let certificate = EndEntity::from_bytes(&certificate.read("certificate")?)?;
        let key = PrivateKey::Tpm(Box::new(crate::tpm::open(key)?));
        Self::assemble(certificate, key, Vec::new(), intermediates)
    }

    /// Fails when the certificate is not valid at `now`.
    pub fn check_validity(&self, now: SystemTime) -> Result<(), Error> {
        self.certificate.check_validity(now)
    }
}
