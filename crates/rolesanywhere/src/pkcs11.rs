//! Keys that never leave their device: a PKCS#11 module (a smart card, an
//! HSM, SoftHSM) loaded at run time through `cryptoki`, as
//! `aws_signing_helper --pkcs11-lib` uses it.
//!
//! Objects are named by RFC 7512 `pkcs11:` URIs (`token`, `object`, `id`,
//! `slot-id`, `serial`, `manufacturer`, `model`, `type`, `pin-value`,
//! `pin-source`). The certificate may be on the token or in a file; the
//! key is the one the URI names, or else the one with the certificate's
//! `CKA_ID`, or else the one whose public key is the certificate's. One
//! session is opened, logged in once and kept for every signature (behind
//! a lock: a PKCS#11 session serves one call at a time). RSA signs with
//! `CKM_SHA256_RSA_PKCS`; ECDSA with `CKM_ECDSA` over the SHA-256 prehash,
//! its `r‖s` turned into DER. There is no export call: the key stays on the
//! device.
//!
//! The user PIN comes from the URI (`pin-value`, `pin-source`), from
//! [`Pkcs11Source::pin`], or from [`Pkcs11Source::pin_prompt`] (the CLI asks
//! on the terminal, without echo; three attempts). A key with
//! `CKA_ALWAYS_AUTHENTICATE` needs a context-specific login before each
//! signature: with [`Pkcs11Source::reuse_pin`] the user PIN is tried first,
//! else (or when it is refused) the prompt asks. A [`CertSelector`] picks the
//! certificate among the token's by subject, issuer and serial.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType as CkKeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::Error;
use crate::cert::{EndEntity, KeyType};
use crate::key::Digest;

/// An RFC 7512 `pkcs11:` URI, parsed (values percent-decoded).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Pkcs11Uri {
    /// `token`: the token label.
    pub token: Option<String>,
    /// `object`: the object label (`CKA_LABEL`).
    pub object: Option<String>,
    /// `id`: the object id (`CKA_ID`), as bytes.
    pub id: Option<Vec<u8>>,
    /// `slot-id`.
    pub slot_id: Option<u64>,
    /// `serial`: the token serial number.
    pub serial: Option<String>,
    /// `manufacturer`.
    pub manufacturer: Option<String>,
    /// `model`.
    pub model: Option<String>,
    /// `type`: `cert`, `private`, …
    pub object_type: Option<String>,
    /// `pin-value` (query attribute).
    pub pin_value: Option<Zeroizing<String>>,
    /// `pin-source` (query attribute): a file holding the PIN.
    pub pin_source: Option<String>,
}

impl std::fmt::Debug for Pkcs11Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Uri")
            .field("token", &self.token)
            .field("object", &self.object)
            .field("id", &self.id)
            .field("slot_id", &self.slot_id)
            .field("serial", &self.serial)
            .field("pin_value", &self.pin_value.as_ref().map(|_| "<redacted>"))
            .field("pin_source", &self.pin_source)
            .finish_non_exhaustive()
    }
}

impl Pkcs11Uri {
    /// Whether `s` is a `pkcs11:` URI.
    pub fn is_uri(s: &str) -> bool {
        s.len() >= 7 && s[..7].eq_ignore_ascii_case("pkcs11:")
    }

    /// Parses a `pkcs11:` URI. Unknown attributes are refused, so that a
    /// typo does not pick another object.
    pub fn parse(uri: &str) -> Result<Self, Error> {
        if !Self::is_uri(uri) {
            return Err(Error::InvalidParameter(
                "a PKCS#11 object must be named by a pkcs11: URI".into(),
            ));
        }
        let rest = &uri[7..];
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let mut out = Pkcs11Uri::default();
        let attrs = path
            .split(';')
            .chain(query.split('&'))
            .filter(|a| !a.is_empty());
        for attr in attrs {
            let (name, value) = attr.split_once('=').ok_or_else(|| {
                Error::InvalidParameter(format!(
                    "bad pkcs11: URI attribute {name:?} (expected name=value)",
                    name = attr.split('=').next().unwrap_or_default()
                ))
            })?;
            let bytes = percent_decode(value).ok_or_else(|| {
                Error::InvalidParameter(format!("bad percent-encoding in the pkcs11: URI's {name}"))
            })?;
            let text = || {
                String::from_utf8(bytes.clone()).map_err(|_| {
                    Error::InvalidParameter(format!("the pkcs11: URI's {name} is not UTF-8"))
                })
            };
            match name {
                "token" => out.token = Some(text()?),
                "object" => out.object = Some(text()?),
                "id" => out.id = Some(bytes.clone()),
                "slot-id" => {
                    out.slot_id = Some(text()?.parse().map_err(|_| {
                        Error::InvalidParameter("the pkcs11: URI's slot-id is not a number".into())
                    })?)
                }
                "serial" => out.serial = Some(text()?),
                "manufacturer" => out.manufacturer = Some(text()?),
                "model" => out.model = Some(text()?),
                "type" => out.object_type = Some(text()?),
                "pin-value" => out.pin_value = Some(Zeroizing::new(text()?)),
                "pin-source" => out.pin_source = Some(text()?),
                // Attributes that select nothing here.
                "library-manufacturer"
                | "library-description"
                | "library-version"
                | "slot-manufacturer"
                | "slot-description"
                | "module-name"
                | "module-path" => {}
                other => {
                    return Err(Error::InvalidParameter(format!(
                        "unknown pkcs11: URI attribute {other:?}"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// The PIN the URI gives (`pin-value`, or the first line of the
    /// `pin-source` file).
    fn pin(&self) -> Result<Option<Zeroizing<String>>, Error> {
        if let Some(p) = &self.pin_value {
            return Ok(Some(p.clone()));
        }
        if let Some(src) = &self.pin_source {
            let path = src.strip_prefix("file:").unwrap_or(src);
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                Error::InvalidParameter(format!("cannot read the pin-source file {path}: {e}"))
            })?);
            let first = text.lines().next().unwrap_or_default();
            return Ok(Some(Zeroizing::new(first.to_string())));
        }
        Ok(None)
    }
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

fn p11(what: &str) -> impl Fn(cryptoki::error::Error) -> Error + '_ {
    move |e| Error::key(format!("PKCS#11: {what}: {e}"))
}

/// A key on a PKCS#11 token, with the open, logged-in session that signs
/// with it.
pub struct Pkcs11Key {
    session: Mutex<Session>,
    key: Mutex<ObjectHandle>,
    /// What finds the token and the key again after the token was
    /// removed and put back: its URI selector, the key's `CKA_ID`.
    token: Pkcs11Uri,
    key_id: Option<Vec<u8>>,
    key_type: KeyType,
    public_key: Vec<u8>,
    /// `CKA_ALWAYS_AUTHENTICATE`: a context-specific login per signature.
    always_authenticate: bool,
    /// The user PIN, kept for context-specific logins with `reuse_pin`.
    user_pin: Zeroizing<String>,
    reuse_pin: bool,
    pin_prompt: Option<PinPrompt>,
    _module: Pkcs11,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Key({:?})", self.key_type)
    }
}

impl Pkcs11Key {
    /// The key type (the certificate's).
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The public key as the certificate carries it.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// Signs `message` on the token (the digest is SHA-256, as Roles
    /// Anywhere signs; other digests are refused).
    pub fn sign(&self, message: &[u8], digest: Digest) -> Result<Vec<u8>, Error> {
        if digest != Digest::Sha256 {
            return Err(Error::Unsupported(
                "PKCS#11 keys sign with SHA-256 only".into(),
            ));
        }
        let mut session = self
            .session
            .lock()
            .map_err(|_| Error::key("PKCS#11: the session lock is poisoned"))?;
        let first = self.sign_once(&session, message);
        if first.is_ok() || !self.recover(&mut session)? {
            return first;
        }
        // The token came back (or its login did): once more.
        self.sign_once(&session, message)
    }

    /// After a failed signature: when the session is gone (the token was
    /// removed and put back) or no longer logged in, opens a new one (or
    /// logs in again) with the PIN it had and finds the key again. True
    /// when something was recovered and the signature is worth retrying.
    fn recover(&self, session: &mut Session) -> Result<bool, Error> {
        use cryptoki::session::SessionState;
        match session.get_session_info() {
            // Logged out: log in again on the same session.
            Ok(info)
                if matches!(
                    info.session_state(),
                    SessionState::RoPublic | SessionState::RwPublic
                ) =>
            {
                login(session, Some(self.user_pin.clone()), None)?;
            }
            Ok(_) => return Ok(false),
            // The session is gone: a new one on the token found again.
            Err(_) => {
                let slot = find_slot(&self._module, &self.token)?;
                let fresh = self
                    ._module
                    .open_ro_session(slot)
                    .map_err(p11("opening a session again"))?;
                login(&fresh, Some(self.user_pin.clone()), None)?;
                *session = fresh;
            }
        }
        // Handles of private objects do not outlive a login: find the key
        // again by its CKA_ID.
        let Some(id) = &self.key_id else {
            return Ok(false);
        };
        let key = one(
            session
                .find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Id(id.clone()),
                ])
                .map_err(p11("finding the private key again"))?,
            "private key",
        )?;
        match self.key.lock() {
            Ok(mut k) => *k = key,
            Err(p) => *p.into_inner() = key,
        }
        Ok(true)
    }

    fn key_handle(&self) -> ObjectHandle {
        match self.key.lock() {
            Ok(k) => *k,
            Err(p) => *p.into_inner(),
        }
    }

    fn sign_once(&self, session: &Session, message: &[u8]) -> Result<Vec<u8>, Error> {
        if self.always_authenticate {
            return self.sign_always_authenticate(session, message);
        }
        match self.key_type {
            KeyType::Rsa => session
                .sign(&Mechanism::Sha256RsaPkcs, self.key_handle(), message)
                .map_err(p11("RSA signing")),
            KeyType::P256 | KeyType::P384 => {
                let hash = ring::digest::digest(&ring::digest::SHA256, message);
                let raw = session
                    .sign(&Mechanism::Ecdsa, self.key_handle(), hash.as_ref())
                    .map_err(p11("ECDSA signing"))?;
                crate::key::ecdsa_der(self.key_type, &raw)
            }
            other => Err(Error::Unsupported(format!(
                "PKCS#11 keys of type {other:?} are not supported; use RSA or EC"
            ))),
        }
    }
}

impl Pkcs11Key {
    /// A key with `CKA_ALWAYS_AUTHENTICATE`: `C_SignInit`, a
    /// context-specific login, then the data, as a multi-part operation
    /// (`CKM_SHA256_RSA_PKCS`, or `CKM_ECDSA_SHA256` where the token has it;
    /// single-part `CKM_ECDSA` cannot take a login in between through
    /// `cryptoki`).
    fn sign_always_authenticate(
        &self,
        session: &Session,
        message: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let mechanism = match self.key_type {
            KeyType::Rsa => Mechanism::Sha256RsaPkcs,
            KeyType::P256 | KeyType::P384 => Mechanism::EcdsaSha256,
            other => {
                return Err(Error::Unsupported(format!(
                    "PKCS#11 keys of type {other:?} are not supported; use RSA or EC"
                )));
            }
        };
        let mut pins: Vec<(Zeroizing<String>, bool)> = Vec::new();
        if self.reuse_pin {
            pins.push((self.user_pin.clone(), false));
        }
        let mut asked = 0;
        let raw = loop {
            session.sign_init(&mechanism, self.key_handle()).map_err(|e| match e {
                cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::MechanismInvalid, _) => {
                    Error::Unsupported(
                        "this token cannot sign with an EC key that has CKA_ALWAYS_AUTHENTICATE (it lacks CKM_ECDSA_SHA256)".into(),
                    )
                }
                other => p11("starting a signature")(other),
            })?;
            let pin = match pins.pop() {
                Some((p, _)) => p,
                None => {
                    let Some(prompt) = self.pin_prompt.filter(|_| asked < PIN_ATTEMPTS) else {
                        // End the operation the token started.
                        let _ = session.sign_final();
                        return Err(Error::key(if asked == 0 {
                            "PKCS#11: the key needs its PIN for every signature (CKA_ALWAYS_AUTHENTICATE): pass --reuse-pin, or run on a terminal to be asked"
                        } else {
                            "PKCS#11: the context-specific PIN is incorrect"
                        }));
                    };
                    asked += 1;
                    prompt("context-specific PIN", asked > 1)?
                }
            };
            match session.login(
                UserType::ContextSpecific,
                Some(&AuthPin::new(pin.as_str().into())),
            ) {
                Ok(()) => {}
                Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::PinIncorrect, _)) => {
                    let _ = session.sign_final();
                    continue;
                }
                Err(e) => return Err(p11("the context-specific login")(e)),
            }
            session.sign_update(message).map_err(p11("signing"))?;
            break session.sign_final().map_err(p11("signing"))?;
        };
        match self.key_type {
            KeyType::Rsa => Ok(raw),
            _ => crate::key::ecdsa_der(self.key_type, &raw),
        }
    }
}

/// Where the certificate of a PKCS#11 identity is.
#[derive(Clone, Debug)]
pub enum CertificateLocation {
    /// On the token.
    Token(Box<Pkcs11Uri>),
    /// In a file (PEM or DER).
    File(PathBuf),
    /// On the token, the one certificate the selector matches.
    Selected(CertSelector),
}

/// Picks a certificate by its subject, issuer and serial number, as
/// `aws_signing_helper --cert-selector` names them: either
/// `Key=x509Subject,Value=CN=app Key=x509Serial,Value=0A1B` (space
/// separated) or a JSON array `[{"Key":"x509Issuer","Value":"…"}]`.
/// Subject and issuer are compared with the RFC 4514 form
/// `read-certificate-data` prints (`CN=app,O=Example`); the serial is hex.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CertSelector {
    /// `x509Subject`.
    pub subject: Option<String>,
    /// `x509Issuer`.
    pub issuer: Option<String>,
    /// `x509Serial`: the serial number in lower-case hex, without leading
    /// zeros.
    pub serial: Option<String>,
}

impl CertSelector {
    /// Parses the `Key=…,Value=…` form, or a JSON array.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::InvalidParameter(format!("bad --cert-selector: {why}"));
        let mut pairs: Vec<(String, String)> = Vec::new();
        if text.trim_start().starts_with('[') {
            let v: serde_json::Value =
                serde_json::from_str(text).map_err(|_| bad("not a JSON array of {Key, Value}"))?;
            for e in v.as_array().into_iter().flatten() {
                let (Some(k), Some(val)) = (e["Key"].as_str(), e["Value"].as_str()) else {
                    return Err(bad("each entry needs a string Key and Value"));
                };
                pairs.push((k.to_string(), val.to_string()));
            }
        } else {
            // Entries start at "Key=" (the first, or one after a space), so
            // values may hold spaces and commas (`O=Example Corp,C=US`).
            let text = text
                .trim()
                .strip_prefix("Key=")
                .ok_or_else(|| bad("expected Key=NAME,Value=VALUE"))?;
            for entry in text.split(" Key=") {
                let (k, v) = entry
                    .split_once(',')
                    .ok_or_else(|| bad("expected Key=NAME,Value=VALUE"))?;
                let v = v
                    .strip_prefix("Value=")
                    .ok_or_else(|| bad("expected Value=VALUE"))?;
                pairs.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let mut out = Self::default();
        for (k, v) in pairs {
            match k.as_str() {
                "x509Subject" => out.subject = Some(v),
                "x509Issuer" => out.issuer = Some(v),
                "x509Serial" => {
                    let hex = v.trim_start_matches("0x").to_ascii_lowercase();
                    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(bad("x509Serial must be hex"));
                    }
                    let trimmed = hex.trim_start_matches('0');
                    out.serial = Some(if trimmed.is_empty() { "0" } else { trimmed }.to_string());
                }
                other => {
                    return Err(bad(&format!(
                        "unknown key {other:?} (x509Subject, x509Issuer or x509Serial)"
                    )));
                }
            }
        }
        if out == Self::default() {
            return Err(bad("it selects nothing"));
        }
        Ok(out)
    }

    fn matches(&self, cert: &EndEntity) -> bool {
        let eq = |want: &Option<String>, have: String| want.as_ref().is_none_or(|w| *w == have);
        eq(&self.subject, cert.subject())
            && eq(&self.issuer, cert.issuer())
            && eq(
                &self.serial,
                cert.serial_hex().trim_start_matches('0').to_string(),
            )
    }
}

/// Asks for a PIN (the CLI: on the terminal, without echo). `what` is
/// `"user PIN"` or `"context-specific PIN"`; `again` is true after an
/// incorrect one.
pub type PinPrompt = fn(what: &str, again: bool) -> Result<Zeroizing<String>, Error>;

/// How many PINs the prompt may try before giving up (tokens lock after a
/// few wrong ones).
const PIN_ATTEMPTS: usize = 3;

/// What to open: the module, the certificate, and (optionally) the key's
/// URI and a PIN (when neither URI carries one).
#[derive(Clone, Debug)]
pub struct Pkcs11Source {
    /// The PKCS#11 module (e.g. `/usr/lib/softhsm/libsofthsm2.so`).
    pub module: PathBuf,
    /// The certificate.
    pub certificate: CertificateLocation,
    /// The private key's URI (default: found from the certificate).
    pub private_key: Option<Pkcs11Uri>,
    /// The user PIN, when the URIs carry none.
    pub pin: Option<Zeroizing<String>>,
    /// Asks for a PIN nothing else gives (None: such a token is an error).
    pub pin_prompt: Option<PinPrompt>,
    /// For a key with `CKA_ALWAYS_AUTHENTICATE`, try the user PIN as the
    /// context-specific PIN first (`--reuse-pin`).
    pub reuse_pin: bool,
}

fn token_matches(module: &Pkcs11, slot: Slot, uri: &Pkcs11Uri) -> Result<bool, Error> {
    if uri.slot_id.is_some_and(|id| id != slot.id()) {
        return Ok(false);
    }
    let info = module
        .get_token_info(slot)
        .map_err(p11("reading a token's information"))?;
    let eq = |want: &Option<String>, have: &str| want.as_ref().is_none_or(|w| w == have.trim());
    Ok(eq(&uri.token, info.label())
        && eq(&uri.serial, info.serial_number())
        && eq(&uri.manufacturer, info.manufacturer_id())
        && eq(&uri.model, info.model()))
}

fn template(class: ObjectClass, uri: &Pkcs11Uri) -> Vec<Attribute> {
    let mut t = vec![Attribute::Class(class)];
    if let Some(l) = &uri.object {
        t.push(Attribute::Label(l.as_bytes().to_vec()));
    }
    if let Some(id) = &uri.id {
        t.push(Attribute::Id(id.clone()));
    }
    t
}

fn one(found: Vec<ObjectHandle>, what: &str) -> Result<ObjectHandle, Error> {
    match found.as_slice() {
        [h] => Ok(*h),
        [] => Err(Error::key(format!(
            "PKCS#11: no {what} matches on the token (check the URI's object= / id=)"
        ))),
        _ => Err(Error::key(format!(
            "PKCS#11: {} objects match the {what} URI; name one with object= or id=",
            found.len()
        ))),
    }
}

fn attribute_bytes(session: &Session, h: ObjectHandle, t: AttributeType) -> Option<Vec<u8>> {
    session
        .get_attributes(h, &[t])
        .ok()?
        .into_iter()
        .find_map(|a| match a {
            Attribute::Value(v)
            | Attribute::Id(v)
            | Attribute::Modulus(v)
            | Attribute::EcPoint(v) => Some(v),
            _ => None,
        })
}

/// The one slot whose token the URI selects.
fn find_slot(module: &Pkcs11, selector: &Pkcs11Uri) -> Result<Slot, Error> {
    let mut slots: Vec<Slot> = Vec::new();
    for slot in module
        .get_slots_with_token()
        .map_err(p11("listing the slots"))?
    {
        if token_matches(module, slot, selector)? {
            slots.push(slot);
        }
    }
    match slots.as_slice() {
        [s] => Ok(*s),
        [] => Err(Error::key(
            "PKCS#11: no token matches (check token=, serial= or slot-id= in the URI)",
        )),
        _ => Err(Error::key(format!(
            "PKCS#11: {} tokens match; name one with token= or slot-id= in the URI",
            slots.len()
        ))),
    }
}

/// Opens the token, finds the certificate and its key, and logs in.
pub fn open(source: &Pkcs11Source) -> Result<(EndEntity, Pkcs11Key), Error> {
    let module = load(&source.module)?;
    let cert_uri = match &source.certificate {
        CertificateLocation::Token(u) => Some(u.as_ref()),
        CertificateLocation::File(_) | CertificateLocation::Selected(_) => None,
    };
    // The token: the one the URIs name (or the only one there is).
    let selector = source
        .private_key
        .as_ref()
        .or(cert_uri)
        .cloned()
        .unwrap_or_default();
    let slot = find_slot(&module, &selector)?;
    let session = module
        .open_ro_session(slot)
        .map_err(p11("opening a session"))?;
    let pin = match source
        .private_key
        .as_ref()
        .map(Pkcs11Uri::pin)
        .transpose()?
        .flatten()
    {
        Some(p) => Some(p),
        None => match cert_uri.map(Pkcs11Uri::pin).transpose()?.flatten() {
            Some(p) => Some(p),
            None => source.pin.clone(),
        },
    };
    let pin = login(&session, pin, source.pin_prompt)?;

    // The certificate.
    let (cert_der, cert_id) = match &source.certificate {
        CertificateLocation::File(path) => (
            std::fs::read(path).map_err(|e| {
                Error::key(format!(
                    "cannot read the certificate file {}: {e}",
                    path.display()
                ))
            })?,
            None,
        ),
        CertificateLocation::Selected(selector) => {
            let mut found = Vec::new();
            for h in session
                .find_objects(&[Attribute::Class(ObjectClass::CERTIFICATE)])
                .map_err(p11("listing the certificates"))?
            {
                let Some(der) = attribute_bytes(&session, h, AttributeType::Value) else {
                    continue;
                };
                if EndEntity::from_bytes(&der).is_ok_and(|c| selector.matches(&c)) {
                    found.push((der, attribute_bytes(&session, h, AttributeType::Id)));
                }
            }
            match found.len() {
                1 => found.remove(0),
                0 => {
                    return Err(Error::key(
                        "PKCS#11: no certificate on the token matches --cert-selector",
                    ));
                }
                n => {
                    return Err(Error::key(format!(
                        "PKCS#11: {n} certificates on the token match --cert-selector; add x509Serial (or x509Issuer) to pick one"
                    )));
                }
            }
        }
        CertificateLocation::Token(uri) => {
            let h = one(
                session
                    .find_objects(&template(ObjectClass::CERTIFICATE, uri))
                    .map_err(p11("finding the certificate"))?,
                "certificate",
            )?;
            let der = attribute_bytes(&session, h, AttributeType::Value)
                .ok_or_else(|| Error::key("PKCS#11: the certificate object has no value"))?;
            (der, attribute_bytes(&session, h, AttributeType::Id))
        }
    };
    let certificate = EndEntity::from_bytes(&cert_der)?;
    let key_type = certificate.key_type();

    // The key: as named, else by the certificate's CKA_ID, else by the
    // public key object that is the certificate's.
    // The token's public key object that is the certificate's, if any:
    // it finds the key when nothing else names it, and checks the key.
    let public_id = public_key_id(&session, &certificate);
    // A key URI that names no object (only the token, the PIN) leaves the
    // key to be found from the certificate.
    let key_uri = source
        .private_key
        .as_ref()
        .filter(|u| u.object.is_some() || u.id.is_some());
    let key = match key_uri {
        Some(uri) => one(
            session
                .find_objects(&template(ObjectClass::PRIVATE_KEY, uri))
                .map_err(p11("finding the private key"))?,
            "private key",
        )?,
        None => {
            let id = cert_id.or_else(|| public_id.clone()).ok_or_else(|| {
                Error::key("PKCS#11: no key on the token is known to belong to the certificate; name it with --private-key pkcs11:…")
            })?;
            one(
                session
                    .find_objects(&[
                        Attribute::Class(ObjectClass::PRIVATE_KEY),
                        Attribute::Id(id),
                    ])
                    .map_err(p11("finding the private key"))?,
                "private key with the certificate's id",
            )?
        }
    };
    // The key must be the certificate's: its type, and its public half
    // when the token holds it.
    let ck_type = session
        .get_attributes(key, &[AttributeType::KeyType])
        .map_err(p11("reading the key type"))?
        .into_iter()
        .find_map(|a| match a {
            Attribute::KeyType(t) => Some(t),
            _ => None,
        });
    let type_fits = match key_type {
        KeyType::Rsa => ck_type == Some(CkKeyType::RSA),
        KeyType::P256 | KeyType::P384 => ck_type == Some(CkKeyType::EC),
        _ => false,
    };
    if !type_fits {
        return Err(Error::KeyMismatch);
    }
    // When the token holds the public half under the key's id, it must be
    // the certificate's.
    if let Some(id) = attribute_bytes(&session, key, AttributeType::Id)
        && public_key_matches(&session, &certificate, &id) == Some(false)
    {
        return Err(Error::KeyMismatch);
    }
    let public_key = certificate.public_key().to_vec();
    let always_authenticate = session
        .get_attributes(key, &[AttributeType::AlwaysAuthenticate])
        .ok()
        .into_iter()
        .flatten()
        .any(|a| matches!(a, Attribute::AlwaysAuthenticate(true)));
    Ok((
        certificate,
        Pkcs11Key {
            key_id: attribute_bytes(&session, key, AttributeType::Id),
            session: Mutex::new(session),
            key: Mutex::new(key),
            token: selector,
            key_type,
            public_key,
            always_authenticate,
            user_pin: pin,
            reuse_pin: source.reuse_pin,
            pin_prompt: source.pin_prompt,
            _module: module,
        },
    ))
}

/// Logs in as the user with `pin`, or with what the prompt gives (three
/// attempts); returns the PIN that worked.
fn login(
    session: &Session,
    pin: Option<Zeroizing<String>>,
    prompt: Option<PinPrompt>,
) -> Result<Zeroizing<String>, Error> {
    // Ok(false): the PIN is incorrect.
    let attempt = |pin: &str| match session.login(UserType::User, Some(&AuthPin::new(pin.into()))) {
        // The login state is the application's: another session of this
        // process (a second identity on the token) logged in already.
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::UserAlreadyLoggedIn, _)) => {
            Ok(true)
        }
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::PinIncorrect, _)) => Ok(false),
        Err(other) => Err(p11("logging in")(other)),
    };
    let incorrect = || Error::key("PKCS#11: the PIN is incorrect");
    if let Some(pin) = pin {
        return if attempt(&pin)? {
            Ok(pin)
        } else {
            Err(incorrect())
        };
    }
    let prompt = prompt.ok_or_else(|| {
        Error::InvalidParameter(
            "the token needs its user PIN: give pin-value= (or pin-source=) in the pkcs11: URI, or run on a terminal to be asked"
                .into(),
        )
    })?;
    for n in 0..PIN_ATTEMPTS {
        let pin = prompt("user PIN", n > 0)?;
        if attempt(&pin)? {
            return Ok(pin);
        }
    }
    Err(incorrect())
}

/// Whether the token's public key objects with `CKA_ID` `id` are the
/// certificate's key; `None` when it holds none under that id.
fn public_key_matches(session: &Session, certificate: &EndEntity, id: &[u8]) -> Option<bool> {
    let objects = session
        .find_objects(&[
            Attribute::Class(ObjectClass::PUBLIC_KEY),
            Attribute::Id(id.to_vec()),
        ])
        .ok()?;
    if objects.is_empty() {
        return None;
    }
    Some(
        objects
            .iter()
            .all(|&h| is_certificate_key(session, certificate, h)),
    )
}

/// Whether public key object `h` holds the certificate's key (RSA
/// modulus, or EC point).
fn is_certificate_key(session: &Session, certificate: &EndEntity, h: ObjectHandle) -> bool {
    let spki_key = certificate.public_key();
    match certificate.key_type() {
        KeyType::Rsa => attribute_bytes(session, h, AttributeType::Modulus).is_some_and(|m| {
            let m = strip_zeros(&m);
            rsa_modulus(spki_key).is_some_and(|c| strip_zeros(c) == m)
        }),
        _ => attribute_bytes(session, h, AttributeType::EcPoint).is_some_and(|p| {
            // CKA_EC_POINT is the point, usually wrapped in an OCTET STRING.
            p == spki_key || p.ends_with(spki_key) && p.len() <= spki_key.len() + 3
        }),
    }
}

/// The `CKA_ID` of the token's public key object that is the
/// certificate's key, if there is one.
fn public_key_id(session: &Session, certificate: &EndEntity) -> Option<Vec<u8>> {
    let objects = session
        .find_objects(&[Attribute::Class(ObjectClass::PUBLIC_KEY)])
        .ok()?;
    objects
        .into_iter()
        .find(|&h| is_certificate_key(session, certificate, h))
        .and_then(|h| attribute_bytes(session, h, AttributeType::Id))
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&x| x == 0).count();
    &b[n..]
}

/// The modulus of a PKCS#1 `RSAPublicKey` (`SEQUENCE { modulus, e }`).
fn rsa_modulus(pkcs1: &[u8]) -> Option<&[u8]> {
    use pkcs8::der::asn1::UintRef;
    use pkcs8::der::{AnyRef, Decode, SliceReader};
    let seq = AnyRef::from_der(pkcs1).ok()?;
    let mut r = SliceReader::new(seq.value()).ok()?;
    let modulus = UintRef::decode(&mut r).ok()?;
    Some(modulus.as_bytes())
}

/// Loads and initialises a module once per process: a second identity on
/// the same module (or a re-open) shares it, as `C_Initialize` may be
/// called only once.
fn load(path: &Path) -> Result<Pkcs11, Error> {
    static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());
    if !path.exists() {
        return Err(Error::key(format!(
            "the PKCS#11 module {} does not exist",
            path.display()
        )));
    }
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut modules = match MODULES.lock() {
        Ok(g) => g,
        Err(p) => p.into_inner(),
    };
    if let Some((_, m)) = modules.iter().find(|(p, _)| *p == key) {
        return Ok(m.clone());
    }
    let module = Pkcs11::new(path).map_err(|e| {
        Error::key(format!(
            "cannot load the PKCS#11 module {}: {e}",
            path.display()
        ))
    })?;
    match module.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        // Initialised by someone else in this process: share it.
        Ok(())
        | Err(cryptoki::error::Error::Pkcs11(
            cryptoki::error::RvError::CryptokiAlreadyInitialized,
            _,
        )) => {}
        Err(e) => return Err(p11("initialising the module")(e)),
    }
    modules.push((key, module.clone()));
    Ok(module)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        let u = Pkcs11Uri::parse(
            "pkcs11:token=My%20Token;object=app;id=%01%02;slot-id=7;type=private?pin-value=1234",
        )
        .unwrap();
        assert_eq!(u.token.as_deref(), Some("My Token"));
        assert_eq!(u.object.as_deref(), Some("app"));
        assert_eq!(u.id.as_deref(), Some(&[1u8, 2][..]));
        assert_eq!(u.slot_id, Some(7));
        assert_eq!(u.pin_value.as_deref().map(String::as_str), Some("1234"));
        assert!(!format!("{u:?}").contains("1234"), "the PIN is redacted");
        assert!(Pkcs11Uri::parse("pkcs11:tokn=x").is_err());
        assert!(Pkcs11Uri::parse("pkcs11:id=%zz").is_err());
        assert!(Pkcs11Uri::parse("file:x").is_err());
    }
}
