//! Private keys in the forms users hold them: RSA (PKCS#1 `RSA PRIVATE KEY`
//! or PKCS#8), EC P-256 / P-384 (SEC1 `EC PRIVATE KEY` or PKCS#8), an
//! encrypted PKCS#8 (`ENCRYPTED PRIVATE KEY`: PBES2 with PBKDF2 or scrypt and
//! AES-CBC) with a passphrase, PEM or DER; and PKCS#12 bundles.
//!
//! Also ML-DSA-44 / -65 / -87 (FIPS 204) PKCS#8 keys that hold the 32-byte
//! seed (alone, or with the expanded key, which must then match it).
//!
//! RSA signs with ring (PKCS#1 v1.5); ECDSA with the `p256` / `p384`
//! crates over a prehash, since Roles Anywhere uses SHA-256 on both curves
//! (ring cannot sign P-384 with SHA-256); ML-DSA with RustCrypto's `ml-dsa`
//! (pure ML-DSA, empty context, the deterministic variant, as
//! `aws_signing_helper` signs). No key bytes appear in `Debug` or in an
//! error.

use p256::pkcs8::DecodePrivateKey;
use pkcs8::der::Decode;
use ring::rand::SystemRandom;
use ring::signature::{KeyPair, RSA_PKCS1_SHA256, RSA_PKCS1_SHA384, RSA_PKCS1_SHA512, RsaKeyPair};
use zeroize::Zeroizing;

use crate::Error;
use crate::cert::{ChainCertificate, KeyType, find, oid};

/// Whether `bytes` hold a `TSS2 PRIVATE KEY` PEM block: a key that lives
/// in a TPM (feature `tpm`), not a key to load from the file.
pub fn is_tpm_key_file(bytes: &[u8]) -> bool {
    find(bytes, b"-----BEGIN TSS2 PRIVATE KEY-----").is_some()
}

/// A hash for [`PrivateKey::sign`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digest {
    /// SHA-256 (what CreateSession uses).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Digest {
    pub(crate) fn ring(self) -> &'static ring::digest::Algorithm {
        match self {
            Digest::Sha256 => &ring::digest::SHA256,
            Digest::Sha384 => &ring::digest::SHA384,
            Digest::Sha512 => &ring::digest::SHA512,
        }
    }
}

/// A private key that can sign for Roles Anywhere.
pub enum PrivateKey {
    /// RSA, any size ring accepts (2048 to 8192 bits).
    Rsa(RsaKeyPair),
    /// ECDSA P-256.
    P256(p256::ecdsa::SigningKey),
    /// ECDSA P-384.
    P384(p384::ecdsa::SigningKey),
    /// ML-DSA-44.
    MlDsa44(Box<ml_dsa::SigningKey<ml_dsa::MlDsa44>>),
    /// ML-DSA-65.
    MlDsa65(Box<ml_dsa::SigningKey<ml_dsa::MlDsa65>>),
    /// ML-DSA-87.
    MlDsa87(Box<ml_dsa::SigningKey<ml_dsa::MlDsa87>>),
    /// A key on a PKCS#11 token (it never leaves the token).
    #[cfg(feature = "pkcs11")]
    Pkcs11(Box<crate::pkcs11::Pkcs11Key>),
    /// A key in a TPM 2.0 (it never leaves the TPM).
    #[cfg(feature = "tpm")]
    Tpm(Box<crate::tpm::TpmKey>),
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PrivateKey({:?}, ..)", self.key_type())
    }
}

impl PrivateKey {
    /// Reads a key from PEM or DER bytes. `password` decrypts an
    /// `ENCRYPTED PRIVATE KEY`; it is ignored for a plain key.
    pub fn from_bytes(bytes: &[u8], password: Option<&str>) -> Result<Self, Error> {
        if let Some(blocks) = pem_blocks(bytes)? {
            // openssl ecparam -genkey writes an EC PARAMETERS block first.
            for (label, der) in blocks {
                match label.as_str() {
                    "PRIVATE KEY" => return Self::from_pkcs8(&der),
                    "RSA PRIVATE KEY" => return Self::from_pkcs1(&der),
                    "EC PRIVATE KEY" => return Self::from_sec1(&der),
                    "ENCRYPTED PRIVATE KEY" => return Self::from_encrypted_pkcs8(&der, password),
                    _ => continue,
                }
            }
            return Err(Error::key(
                "no private key in the PEM (expected PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY or ENCRYPTED PRIVATE KEY)",
            ));
        }
        Self::from_der(bytes, password)
    }

    /// Reads a DER key of any supported form.
    pub fn from_der(der: &[u8], password: Option<&str>) -> Result<Self, Error> {
        if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
            return Self::from_pkcs8(der);
        }
        if pkcs8::EncryptedPrivateKeyInfoRef::from_der(der).is_ok() {
            return Self::from_encrypted_pkcs8(der, password);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return Self::from_sec1(der);
        }
        if let Ok(k) = RsaKeyPair::from_der(der) {
            return Ok(PrivateKey::Rsa(k));
        }
        Err(Error::key(
            "not a private key in PEM or DER (PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8)",
        ))
    }

    /// A PKCS#8 `PrivateKeyInfo` (RSA or EC).
    pub fn from_pkcs8(der: &[u8]) -> Result<Self, Error> {
        let info = pkcs8::PrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::key(format!("not a PKCS#8 private key ({e})")).with_source(e))?;
        let alg = info.algorithm.oid;
        if alg == oid::RSA {
            return RsaKeyPair::from_pkcs8(der)
                .map(PrivateKey::Rsa)
                .map_err(|e| Error::key(format!("unusable RSA key: {e}")));
        }
        if alg == oid::EC {
            let curve = info
                .algorithm
                .parameters_oid()
                .map_err(|_| Error::key("the EC key names no curve"))?;
            if curve == oid::P256 {
                return p256::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map(PrivateKey::P256)
                    .map_err(|e| Error::key(format!("unusable P-256 key: {e}")).with_source(e));
            }
            if curve == oid::P384 {
                return p384::ecdsa::SigningKey::from_pkcs8_der(der)
                    .map(PrivateKey::P384)
                    .map_err(|e| Error::key(format!("unusable P-384 key: {e}")).with_source(e));
            }
            return Err(Error::key(format!(
                "EC curve {curve} is not supported; use P-256 or P-384"
            )));
        }
        for (ml, key_type) in [
            (oid::ML_DSA_44, KeyType::MlDsa44),
            (oid::ML_DSA_65, KeyType::MlDsa65),
            (oid::ML_DSA_87, KeyType::MlDsa87),
        ] {
            if alg == ml {
                return Self::from_ml_dsa(key_type, info.private_key.as_bytes());
            }
        }
        Err(Error::key(format!(
            "key algorithm {alg} is not supported; use RSA, EC (P-256, P-384) or ML-DSA"
        )))
    }

    /// An ML-DSA `privateKey` (RFC 9881): the seed (`[0] IMPLICIT OCTET
    /// STRING`, 32 bytes), or the seed with the expanded key (`SEQUENCE`).
    fn from_ml_dsa(key_type: KeyType, private_key: &[u8]) -> Result<Self, Error> {
        use pkcs8::der::asn1::OctetStringRef;
        use pkcs8::der::{Reader, SliceReader, Tag, TagNumber, Tagged};
        let name = key_type.family();
        let any = pkcs8::der::AnyRef::from_der(private_key).map_err(|e| {
            Error::key(format!("unreadable {name} private key ({e})")).with_source(e)
        })?;
        let (seed, expanded) = match any.tag() {
            Tag::ContextSpecific {
                constructed: false,
                number: TagNumber(0),
            } => (any.value(), None),
            Tag::Sequence => {
                let mut r = SliceReader::new(any.value()).map_err(|e| {
                    Error::key(format!("unreadable {name} private key ({e})")).with_source(e)
                })?;
                let seed = <&OctetStringRef>::decode(&mut r).map_err(|e| {
                    Error::key(format!("unreadable {name} seed ({e})")).with_source(e)
                })?;
                let expanded = <&OctetStringRef>::decode(&mut r).map_err(|e| {
                    Error::key(format!("unreadable {name} expanded key ({e})")).with_source(e)
                })?;
                if !r.is_finished() {
                    return Err(Error::key(format!(
                        "trailing data after the {name} private key"
                    )));
                }
                (seed.as_bytes(), Some(expanded.as_bytes()))
            }
            Tag::OctetString => {
                return Err(Error::key(format!(
                    "the {name} private key holds only the expanded key; give it with its 32-byte seed (the PKCS#8 form OpenSSL 3.5 and later write, and the one aws_signing_helper reads)"
                )));
            }
            other => {
                return Err(Error::key(format!(
                    "unrecognised {name} private key form ({other}); expected the 32-byte seed"
                )));
            }
        };
        let seed: &[u8; 32] = seed.try_into().map_err(|_| {
            Error::key(format!(
                "the {name} seed is {} bytes; it must be 32 (a truncated or damaged key file?)",
                seed.len()
            ))
        })?;
        let seed = ml_dsa::Seed::from(*seed);
        /// The key from its seed; a stored expanded key must be the one
        /// the seed derives.
        fn derive<P: ml_dsa::MlDsaParams>(
            seed: &ml_dsa::Seed,
            expanded: Option<&[u8]>,
            name: &str,
        ) -> Result<Box<ml_dsa::SigningKey<P>>, Error> {
            let key = Box::new(ml_dsa::SigningKey::<P>::from_seed(seed));
            if let Some(e) = expanded {
                #[allow(deprecated)]
                let derived = key.expanded_key().to_expanded();
                if e != derived.as_slice() {
                    return Err(Error::key(format!(
                        "the {name} private key's expanded key does not match its seed"
                    )));
                }
            }
            Ok(key)
        }
        Ok(match key_type {
            KeyType::MlDsa44 => PrivateKey::MlDsa44(derive(&seed, expanded, name)?),
            KeyType::MlDsa65 => PrivateKey::MlDsa65(derive(&seed, expanded, name)?),
            _ => PrivateKey::MlDsa87(derive(&seed, expanded, name)?),
        })
    }

    /// A PKCS#1 `RSAPrivateKey`.
    pub fn from_pkcs1(der: &[u8]) -> Result<Self, Error> {
        RsaKeyPair::from_der(der)
            .map(PrivateKey::Rsa)
            .map_err(|e| Error::key(format!("unusable RSA key: {e}")))
    }

    /// A SEC1 `ECPrivateKey` (with its curve named, as OpenSSL writes it).
    pub fn from_sec1(der: &[u8]) -> Result<Self, Error> {
        let key = sec1::EcPrivateKey::from_der(der)
            .map_err(|e| Error::key(format!("not a SEC1 EC private key ({e})")).with_source(e))?;
        let curve = key
            .parameters
            .and_then(|p| p.named_curve())
            .ok_or_else(|| Error::key("the EC key names no curve"))?;
        if curve == oid::P256 {
            let sk = p256::SecretKey::from_sec1_der(der)
                .map_err(|e| Error::key(format!("unusable P-256 key: {e}")).with_source(e))?;
            return Ok(PrivateKey::P256(sk.into()));
        }
        if curve == oid::P384 {
            let sk = p384::SecretKey::from_sec1_der(der)
                .map_err(|e| Error::key(format!("unusable P-384 key: {e}")).with_source(e))?;
            return Ok(PrivateKey::P384(sk.into()));
        }
        Err(Error::key(format!(
            "EC curve {curve} is not supported; use P-256 or P-384"
        )))
    }

    /// An `EncryptedPrivateKeyInfo` (PBES2: PBKDF2 or scrypt, AES-CBC).
    pub fn from_encrypted_pkcs8(der: &[u8], password: Option<&str>) -> Result<Self, Error> {
        let password = password.ok_or(Error::PassphraseRequired)?;
        let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(der)
            .map_err(|e| Error::key(format!("not an encrypted PKCS#8 key ({e})")).with_source(e))?;
        let plain = info.decrypt(password).map_err(|_| Error::WrongPassphrase {
            what: "private key",
        })?;
        Self::from_pkcs8(plain.as_bytes())
    }

    /// The key type.
    pub fn key_type(&self) -> KeyType {
        match self {
            PrivateKey::Rsa(_) => KeyType::Rsa,
            PrivateKey::P256(_) => KeyType::P256,
            PrivateKey::P384(_) => KeyType::P384,
            PrivateKey::MlDsa44(_) => KeyType::MlDsa44,
            PrivateKey::MlDsa65(_) => KeyType::MlDsa65,
            PrivateKey::MlDsa87(_) => KeyType::MlDsa87,
            #[cfg(feature = "pkcs11")]
            PrivateKey::Pkcs11(k) => k.key_type(),
            #[cfg(feature = "tpm")]
            PrivateKey::Tpm(k) => k.key_type(),
        }
    }

    /// The public key as a certificate carries it: PKCS#1 `RSAPublicKey`
    /// for RSA, the uncompressed point for EC, the encoded public key for
    /// ML-DSA.
    pub fn public_key(&self) -> Vec<u8> {
        match self {
            PrivateKey::Rsa(k) => k.public_key().as_ref().to_vec(),
            PrivateKey::P256(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            PrivateKey::P384(k) => k.verifying_key().to_sec1_point(false).as_bytes().to_vec(),
            PrivateKey::MlDsa44(k) => ml_dsa::signature::Keypair::verifying_key(k.as_ref())
                .encode()
                .to_vec(),
            PrivateKey::MlDsa65(k) => ml_dsa::signature::Keypair::verifying_key(k.as_ref())
                .encode()
                .to_vec(),
            PrivateKey::MlDsa87(k) => ml_dsa::signature::Keypair::verifying_key(k.as_ref())
                .encode()
                .to_vec(),
            #[cfg(feature = "pkcs11")]
            PrivateKey::Pkcs11(k) => k.public_key().to_vec(),
            #[cfg(feature = "tpm")]
            PrivateKey::Tpm(k) => k.public_key().to_vec(),
        }
    }

    /// Signs `message` hashed with `digest`: RSA PKCS#1 v1.5, or ECDSA with
    /// a DER-encoded signature; ML-DSA signs `message` itself (pure
    /// ML-DSA, empty context, deterministic) and ignores `digest`.
    pub fn sign(&self, message: &[u8], digest: Digest) -> Result<Vec<u8>, Error> {
        match self {
            PrivateKey::Rsa(k) => {
                let alg = match digest {
                    Digest::Sha256 => &RSA_PKCS1_SHA256,
                    Digest::Sha384 => &RSA_PKCS1_SHA384,
                    Digest::Sha512 => &RSA_PKCS1_SHA512,
                };
                let mut sig = vec![0u8; k.public().modulus_len()];
                k.sign(alg, &SystemRandom::new(), message, &mut sig)
                    .map_err(|_| Error::key("RSA signing failed with this key"))?;
                Ok(sig)
            }
            PrivateKey::P256(k) => {
                use p256::ecdsa::signature::hazmat::PrehashSigner;
                let hash = ring::digest::digest(digest.ring(), message);
                let sig: p256::ecdsa::DerSignature = k
                    .sign_prehash(hash.as_ref())
                    .map_err(|_| Error::key("ECDSA signing failed with this key"))?;
                Ok(sig.as_bytes().to_vec())
            }
            PrivateKey::P384(k) => {
                use p384::ecdsa::signature::hazmat::PrehashSigner;
                let hash = ring::digest::digest(digest.ring(), message);
                let sig: p384::ecdsa::DerSignature = k
                    .sign_prehash(hash.as_ref())
                    .map_err(|_| Error::key("ECDSA signing failed with this key"))?;
                Ok(sig.as_bytes().to_vec())
            }
            PrivateKey::MlDsa44(k) => ml_dsa_sign(k, message),
            PrivateKey::MlDsa65(k) => ml_dsa_sign(k, message),
            PrivateKey::MlDsa87(k) => ml_dsa_sign(k, message),
            #[cfg(feature = "pkcs11")]
            PrivateKey::Pkcs11(k) => k.sign(message, digest),
            #[cfg(feature = "tpm")]
            PrivateKey::Tpm(k) => k.sign(message, digest),
        }
    }
}

/// An ECDSA signature from a device (`r‖s`, each the curve's size) in
/// the DER form Roles Anywhere takes.
#[cfg(any(feature = "pkcs11", feature = "tpm"))]
pub(crate) fn ecdsa_der(key_type: KeyType, raw: &[u8]) -> Result<Vec<u8>, Error> {
    let der = if key_type == KeyType::P256 {
        p256::ecdsa::Signature::from_slice(raw).map(|s| s.to_der().as_bytes().to_vec())
    } else {
        p384::ecdsa::Signature::from_slice(raw).map(|s| s.to_der().as_bytes().to_vec())
    };
    der.map_err(|_| Error::key("the device's ECDSA signature is malformed"))
}

fn ml_dsa_sign<P: ml_dsa::MlDsaParams>(
    key: &ml_dsa::SigningKey<P>,
    message: &[u8],
) -> Result<Vec<u8>, Error> {
    key.expanded_key()
        .sign_deterministic(message, &[])
        .map(|sig| sig.encode().to_vec())
        .map_err(|_| Error::key("ML-DSA signing failed with this key"))
}

/// `Some(blocks)` when the input is PEM, each `(label, der)` in order.
pub(crate) type PemBlocks = Vec<(String, Zeroizing<Vec<u8>>)>;

pub(crate) fn pem_blocks(bytes: &[u8]) -> Result<Option<PemBlocks>, Error> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let Some(mut rest) = find(bytes, BEGIN).map(|i| &bytes[i..]) else {
        return Ok(None);
    };
    let mut blocks = Vec::new();
    while let Some(start) = find(rest, BEGIN) {
        rest = &rest[start..];
        // The block ends after "-----END <label>-----".
        let Some(end_marker) = find(rest, b"-----END ") else {
            return Err(Error::key("a PEM block has no END line"));
        };
        let after = &rest[end_marker + 9..];
        let Some(close) = find(after, b"-----") else {
            return Err(Error::key("a PEM END line is not closed"));
        };
        let block_len = end_marker + 9 + close + 5;
        let block = &rest[..block_len];
        let (label, der) = pkcs8::der::pem::decode_vec(block)
            .map_err(|e| Error::key(format!("bad PEM ({e})")).with_source(e))?;
        blocks.push((label.to_string(), Zeroizing::new(der)));
        rest = &rest[block_len..];
    }
    Ok(Some(blocks))
}

/// What a PKCS#12 bundle holds: the key, its certificate (DER) and the
/// other certificates of the bundle (the chain, self-signed roots left
/// out), in bundle order.
#[derive(Debug)]
pub struct Pkcs12Bundle {
    /// The private key.
    pub key: PrivateKey,
    /// The certificate whose public key matches the key.
    pub certificate: Vec<u8>,
    /// The intermediates.
    pub chain: Vec<ChainCertificate>,
}

/// Opens a PKCS#12 bundle (`.p12` / `.pfx`; PBES2/AES with a SHA-256 MAC
/// as OpenSSL 3 writes by default, and the legacy PBES1 forms) with
/// `password` (empty when none).
pub fn read_pkcs12(bytes: &[u8], password: &str) -> Result<Pkcs12Bundle, Error> {
    let archive =
        p12_keystore::Pkcs12Archive::from_pkcs12(bytes, password).map_err(|e| match e {
            p12_keystore::error::Error::MacError(_) => Error::WrongPassphrase {
                what: "PKCS#12 bundle",
            },
            other => Error::key(format!("cannot open the PKCS#12 bundle: {other}")),
        })?;
    let bag = archive
        .keys
        .first()
        .ok_or_else(|| Error::key("the PKCS#12 bundle holds no private key"))?;
    let key = PrivateKey::from_pkcs8(bag.key.as_der())?;
    let public = key.public_key();
    let mut certificate = None;
    let mut chain = Vec::new();
    for c in &archive.certs {
        let der = c.cert.as_der();
        let is_leaf = certificate.is_none()
            && crate::cert::EndEntity::from_der(der)
                .map(|e| e.public_key() == public.as_slice())
                .unwrap_or(false);
        if is_leaf {
            certificate = Some(der.to_vec());
        } else {
            let cc = ChainCertificate::from_der(der)?;
            if !cc.is_self_signed() {
                chain.push(cc);
            }
        }
    }
    let certificate = certificate
        .ok_or_else(|| Error::key("the PKCS#12 bundle holds no certificate for its private key"))?;
    Ok(Pkcs12Bundle {
        key,
        certificate,
        chain,
    })
}
