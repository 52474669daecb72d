//! The end-entity certificate: its DER, serial number (decimal, as the
//! credential id) and the header value `X-Amz-X509`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use x509_cert::Certificate;
use x509_cert::der::{Decode, DecodePem, Encode};

use crate::Error;

/// A parsed end-entity certificate.
#[derive(Clone, Debug)]
pub struct EndEntity {
    der: Vec<u8>,
    serial_decimal: String,
}

impl EndEntity {
    /// From PEM (`-----BEGIN CERTIFICATE-----`, text before it — as
    /// `openssl x509 -text` writes — is skipped) or DER bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
        let pem_start = bytes.windows(BEGIN.len()).position(|w| w == BEGIN);
        let cert = if let Some(start) = pem_start {
            Certificate::from_pem(&bytes[start..]).map_err(|e| Error::Certificate(e.to_string()))?
        } else {
            Certificate::from_der(bytes).map_err(|e| Error::Certificate(e.to_string()))?
        };
        let der = cert
            .to_der()
            .map_err(|e| Error::Certificate(e.to_string()))?;
        let serial_decimal = decimal(cert.tbs_certificate.serial_number.as_bytes());
        Ok(Self {
            der,
            serial_decimal,
        })
    }

    /// The serial number in decimal: the credential id of the signature.
    pub fn serial_decimal(&self) -> &str {
        &self.serial_decimal
    }

    /// Base64 of the DER: the `X-Amz-X509` header value.
    pub fn header_value(&self) -> String {
        STANDARD.encode(&self.der)
    }
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
