//! Certificates: the end entity (its DER for `X-Amz-X509`, its serial
//! number in decimal as the credential id, its public key to check the
//! private key against) and the intermediates sent in `X-Amz-X509-Chain`.
//!
//! Also what Roles Anywhere reads from a certificate to tag the session
//! ([`EndEntity::principal_tags`]), so a trust policy can be written from
//! `read-certificate-data` before the first call.

use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, DecodePem, Encode};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::Error;

const PEM_CERT: &[u8] = b"-----BEGIN CERTIFICATE-----";

/// OIDs of the public key algorithms and curves this crate signs with.
pub(crate) mod oid {
    use x509_cert::der::asn1::ObjectIdentifier;

    /// rsaEncryption.
    pub(crate) const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
    /// id-ecPublicKey.
    pub(crate) const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
    /// prime256v1 / secp256r1.
    pub(crate) const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
    /// secp384r1.
    pub(crate) const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
    /// id-ml-dsa-44 (FIPS 204).
    pub(crate) const ML_DSA_44: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.17");
    /// id-ml-dsa-65.
    pub(crate) const ML_DSA_65: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.18");
    /// id-ml-dsa-87.
    pub(crate) const ML_DSA_87: ObjectIdentifier =
        ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.3.19");
}

/// The kind of public key a certificate carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// RSA (signed with `AWS4-X509-RSA-SHA256`).
    Rsa,
    /// ECDSA on P-256 (`AWS4-X509-ECDSA-SHA256`).
    P256,
    /// ECDSA on P-384 (`AWS4-X509-ECDSA-SHA256`).
    P384,
    /// ML-DSA-44, FIPS 204 (`AWS4-X509-MLDSA`).
    MlDsa44,
    /// ML-DSA-65 (`AWS4-X509-MLDSA`).
    MlDsa65,
    /// ML-DSA-87 (`AWS4-X509-MLDSA`).
    MlDsa87,
}

impl KeyType {
    /// `RSA`, `EC` or `ML-DSA-44` / `-65` / `-87`, as
    /// `aws_signing_helper read-certificate-data` prints the key type.
    pub fn family(self) -> &'static str {
        match self {
            KeyType::Rsa => "RSA",
            KeyType::P256 | KeyType::P384 => "EC",
            KeyType::MlDsa44 => "ML-DSA-44",
            KeyType::MlDsa65 => "ML-DSA-65",
            KeyType::MlDsa87 => "ML-DSA-87",
        }
    }

    /// Whether this is an ML-DSA key (no separate digest: it signs the
    /// string to sign itself).
    pub fn is_ml_dsa(self) -> bool {
        matches!(self, KeyType::MlDsa44 | KeyType::MlDsa65 | KeyType::MlDsa87)
    }

    /// The signing algorithms `read-certificate-data` lists for the key:
    /// `RSASHA256`…, `ECSHA256`…, or the ML-DSA parameter set alone.
    pub fn supported_algorithms(self) -> Vec<String> {
        let family = self.family();
        if self.is_ml_dsa() {
            return vec![family.to_string()];
        }
        ["SHA256", "SHA384", "SHA512"]
            .iter()
            .map(|d| format!("{family}{d}"))
            .collect()
    }
}

/// A parsed end-entity certificate.
#[derive(Clone, Debug)]
pub struct EndEntity {
    cert: Certificate,
    der: Vec<u8>,
    serial_decimal: String,
    key_type: KeyType,
}

impl EndEntity {
    /// From PEM (the first `CERTIFICATE` block; text before it — as
    /// `openssl x509 -text` writes — is skipped) or DER bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        let cert = if let Some(start) = find(bytes, PEM_CERT) {
            Certificate::from_pem(&bytes[start..])
        } else {
            Certificate::from_der(bytes)
        }
        .map_err(|e| {
            Error::certificate(format!("not an X.509 certificate in PEM or DER ({e})"))
                .with_source(e)
        })?;
        Self::from_certificate(cert)
    }

    /// From DER bytes only.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        let cert = Certificate::from_der(der).map_err(|e| {
            Error::certificate(format!("not a DER X.509 certificate ({e})")).with_source(e)
        })?;
        Self::from_certificate(cert)
    }

    fn from_certificate(cert: Certificate) -> Result<Self, Error> {
        let tbs = cert.tbs_certificate();
        if tbs.version() != x509_cert::certificate::Version::V3 {
            return Err(Error::certificate(
                "the certificate is not X.509 v3; Roles Anywhere needs v3",
            ));
        }
        let der = cert
            .to_der()
            .map_err(|e| Error::certificate(e.to_string()).with_source(e))?;
        let serial_decimal = decimal(tbs.serial_number().as_bytes());
        let key_type = key_type_of(&cert)?;
        Ok(Self {
            cert,
            der,
            serial_decimal,
            key_type,
        })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The serial number in decimal: the credential id of the signature.
    pub fn serial_decimal(&self) -> &str {
        &self.serial_decimal
    }

    /// The serial number in lowercase hex (the role session name Roles
    /// Anywhere gives by default).
    pub fn serial_hex(&self) -> String {
        let bytes = self.cert.tbs_certificate().serial_number().as_bytes();
        let trimmed = match bytes.iter().position(|&b| b != 0) {
            Some(i) => &bytes[i..],
            None => &bytes[bytes.len().saturating_sub(1)..],
        };
        trimmed.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Base64 of the DER: the `X-Amz-X509` header value.
    pub fn header_value(&self) -> String {
        STANDARD.encode(&self.der)
    }

    /// The public key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The subjectPublicKey bits: PKCS#1 `RSAPublicKey` DER for RSA, the
    /// uncompressed SEC1 point for EC.
    pub fn public_key(&self) -> &[u8] {
        self.cert
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes()
    }

    /// The subject, RFC 4514 style (`CN=alice,O=Example`).
    pub fn subject(&self) -> String {
        self.cert.tbs_certificate().subject().to_string()
    }

    /// The issuer, RFC 4514 style.
    pub fn issuer(&self) -> String {
        self.cert.tbs_certificate().issuer().to_string()
    }

    /// Start of validity.
    pub fn not_before(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_before
            .to_system_time()
    }

    /// End of validity.
    pub fn not_after(&self) -> SystemTime {
        self.cert
            .tbs_certificate()
            .validity()
            .not_after
            .to_system_time()
    }

    /// Fails when `now` is outside the validity period: the service would
    /// refuse the certificate, so nothing is sent.
    pub fn check_validity(&self, now: SystemTime) -> Result<(), Error> {
        if now < self.not_before() {
            return Err(Error::certificate(format!(
                "the certificate is not valid before {}; check the clock or the certificate",
                cred_providers::time::format_rfc3339(self.not_before())
            )));
        }
        if now > self.not_after() {
            return Err(Error::certificate(format!(
                "the certificate expired at {}; renew it with your CA",
                cred_providers::time::format_rfc3339(self.not_after())
            )));
        }
        Ok(())
    }

    /// The subject alternative names, as `DNS:…`, `URI:…`, `email:…`,
    /// `IP:…`, `DirName:…`.
    pub fn subject_alternative_names(&self) -> Vec<String> {
        self.sans()
            .iter()
            .filter_map(|n| match n {
                GeneralName::DnsName(s) => Some(format!("DNS:{}", s.as_str())),
                GeneralName::UniformResourceIdentifier(s) => Some(format!("URI:{}", s.as_str())),
                GeneralName::Rfc822Name(s) => Some(format!("email:{}", s.as_str())),
                GeneralName::DirectoryName(name) => Some(format!("DirName:{name}")),
                GeneralName::IpAddress(ip) => ip_string(ip.as_bytes()).map(|s| format!("IP:{s}")),
                _ => None,
            })
            .collect()
    }

    fn sans(&self) -> Vec<GeneralName> {
        match self
            .cert
            .tbs_certificate()
            .get_extension::<SubjectAltName>()
        {
            Ok(Some((_, san))) => san.0,
            _ => Vec::new(),
        }
    }

    /// The principal tags Roles Anywhere puts on the session under its
    /// default attribute mapping: each recognised RDN of the subject
    /// (`x509Subject/CN`, `/O`, `/OU`, `/L`, `/ST`, `/C`) and of the issuer
    /// (`x509Issuer/…`), and the first DNS name, URI and directory name of
    /// the subject alternative names (`x509SAN/DNS`, `x509SAN/URI`,
    /// `x509SAN/Name/CN`, …). Where an attribute repeats, the first value is
    /// shown.
    pub fn principal_tags(&self) -> Vec<(String, String)> {
        let mut tags = Vec::new();
        let tbs = self.cert.tbs_certificate();
        rdn_tags("x509Subject", tbs.subject(), &mut tags);
        rdn_tags("x509Issuer", tbs.issuer(), &mut tags);
        let sans = self.sans();
        if let Some(dns) = sans.iter().find_map(|n| match n {
            GeneralName::DnsName(s) => Some(s.as_str().to_string()),
            _ => None,
        }) {
            tags.push(("x509SAN/DNS".into(), dns));
        }
        if let Some(uri) = sans.iter().find_map(|n| match n {
            GeneralName::UniformResourceIdentifier(s) => Some(s.as_str().to_string()),
            _ => None,
        }) {
            tags.push(("x509SAN/URI".into(), uri));
        }
        if let Some(name) = sans.iter().find_map(|n| match n {
            GeneralName::DirectoryName(name) => Some(name),
            _ => None,
        }) {
            rdn_tags("x509SAN/Name", name, &mut tags);
        }
        tags
    }
}

fn rdn_tags(prefix: &str, name: &Name, tags: &mut Vec<(String, String)>) {
    // The RDN sequence runs from the most significant (C) to the least (CN).
    let mut seen: Vec<&'static str> = Vec::new();
    for atv in name.iter() {
        let Some(short) = short_name(&atv.oid) else {
            continue;
        };
        if seen.contains(&short) {
            continue;
        }
        if let Ok(value) = std::str::from_utf8(atv.value.value()) {
            seen.push(short);
            tags.push((format!("{prefix}/{short}"), value.to_string()));
        }
    }
}

fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    Some(match oid.to_string().as_str() {
        "2.5.4.3" => "CN",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        _ => return None,
    })
}

fn ip_string(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => {
            let a: [u8; 4] = bytes.try_into().ok()?;
            Some(std::net::Ipv4Addr::from(a).to_string())
        }
        16 => {
            let a: [u8; 16] = bytes.try_into().ok()?;
            Some(std::net::Ipv6Addr::from(a).to_string())
        }
        _ => None,
    }
}

fn key_type_of(cert: &Certificate) -> Result<KeyType, Error> {
    let spki = cert.tbs_certificate().subject_public_key_info();
    if spki.algorithm.oid == oid::RSA {
        return Ok(KeyType::Rsa);
    }
    if spki.algorithm.oid == oid::EC {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
        return match curve {
            Some(c) if c == oid::P256 => Ok(KeyType::P256),
            Some(c) if c == oid::P384 => Ok(KeyType::P384),
            _ => Err(Error::certificate(
                "the certificate's EC curve is not P-256 or P-384, the curves Roles Anywhere accepts",
            )),
        };
    }
    match spki.algorithm.oid {
        o if o == oid::ML_DSA_44 => return Ok(KeyType::MlDsa44),
        o if o == oid::ML_DSA_65 => return Ok(KeyType::MlDsa65),
        o if o == oid::ML_DSA_87 => return Ok(KeyType::MlDsa87),
        _ => {}
    }
    Err(Error::certificate(format!(
        "the certificate's key algorithm {} is not RSA, EC or ML-DSA",
        spki.algorithm.oid
    )))
}

/// The intermediates bundle: every `CERTIFICATE` block of a PEM file (or a
/// single DER certificate), in file order.
pub fn parse_chain(bytes: &[u8]) -> Result<Vec<ChainCertificate>, Error> {
    let Some(start) = find(bytes, PEM_CERT) else {
        return Ok(vec![ChainCertificate::from_der(bytes)?]);
    };
    let certs = Certificate::load_pem_chain(&bytes[start..]).map_err(|e| {
        Error::certificate(format!("cannot read the intermediates bundle ({e})")).with_source(e)
    })?;
    certs
        .into_iter()
        .map(|c| {
            let der = c
                .to_der()
                .map_err(|e| Error::certificate(e.to_string()).with_source(e))?;
            Ok(ChainCertificate { der })
        })
        .collect()
}

/// A certificate of the chain (an intermediate CA), kept as DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainCertificate {
    der: Vec<u8>,
}

impl ChainCertificate {
    /// From DER, checked to parse.
    pub fn from_der(der: &[u8]) -> Result<Self, Error> {
        Certificate::from_der(der).map_err(|e| {
            Error::certificate(format!("not an X.509 certificate ({e})")).with_source(e)
        })?;
        Ok(Self { der: der.to_vec() })
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// Base64 of the DER, one element of `X-Amz-X509-Chain`.
    pub fn header_value(&self) -> String {
        STANDARD.encode(&self.der)
    }

    pub(crate) fn is_self_signed(&self) -> bool {
        Certificate::from_der(&self.der)
            .map(|c| c.tbs_certificate().subject() == c.tbs_certificate().issuer())
            .unwrap_or(false)
    }
}

/// Where `needle` first occurs in `hay`.
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A big-endian unsigned integer in decimal.
pub fn decimal(be: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new(); // little-endian decimal digits
    for &byte in be {
        let mut carry = u32::from(byte);
        for d in digits.iter_mut() {
            let v = u32::from(*d) * 256 + carry;
            *d = (v % 10) as u8;
            carry = v / 10;
        }
        while carry > 0 {
            digits.push((carry % 10) as u8);
            carry /= 10;
        }
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.iter().rev().map(|d| char::from(b'0' + d)).collect()
}

#[cfg(test)]
mod tests {
    use super::decimal;

    #[test]
    fn decimal_serials() {
        assert_eq!(decimal(&[0x15]), "21");
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(
            decimal(&[0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
            "18446744073709551615"
        );
        assert_eq!(decimal(&[]), "0");
    }
}
