//! Keys that never leave the machine's TPM 2.0, through `tss-esapi`
//! (the TCG's Enhanced System API, Debian's `libtss2-esys`), as
//! `aws_signing_helper` uses them.
//!
//! Two ways to name a key:
//!
//! * a **`TSS2 PRIVATE KEY` PEM file** (the form tpm2-openssl, the
//!   tpm2-tss engine and the helper write): the key's public area and its
//!   private blob, sealed by its parent. A transient parent (the owner,
//!   endorsement, platform or null hierarchy) is re-created as the
//!   storage primary key the helper uses (ECC P-256, AES-128-CFB,
//!   restricted decryption, no unique data); a persistent parent
//!   (`0x81…`) is used as it is;
//! * a **persistent handle** (`handle:0x81000001`): a key made resident
//!   with `tpm2_evictcontrol`.
//!
//! The key's user authorisation (its password) comes from
//! [`TpmSource::password`], is empty for a key file that says so
//! (`emptyAuth`) or with [`TpmSource::no_password`], or is asked through
//! [`TpmSource::password_prompt`] (the CLI asks on the terminal, without
//! echo; three attempts). Which TPM: [`TpmSource::tcti`], else the
//! helper's `TPM_DEVICE` (a device node), else the TSS's own
//! `TPM2TOOLS_TCTI` / `TCTI` (`swtpm:host=…,port=…`, `tabrmd:`, …), else
//! `/dev/tpmrm0` (the kernel's resource manager) or `/dev/tpm0`.
//!
//! Each signature opens the TPM, loads the key, signs the SHA-256 digest
//! (RSASSA PKCS#1 v1.5, or ECDSA with the digest zero-padded to the
//! curve's size as the helper does for P-384) and flushes what it loaded:
//! nothing stays resident between signatures, the TPM stays free for the
//! machine's other users, and a TPM restarted in between is simply opened
//! again. There is no export call: the private key never leaves the TPM.
//!
//! ```no_run
//! use std::sync::Arc;
//! use rolesanywhere::identity::{Identity, Source};
//! use rolesanywhere::session::SessionParams;
//! use rolesanywhere::tpm::{TpmKeyLocation, TpmSource};
//! use rolesanywhere::RolesAnywhereProvider;
//!
//! let key = TpmSource {
//!     key: Some(TpmKeyLocation::KeyFile(std::fs::read("/etc/pki/app.tpm.key")?.into())),
//!     password: None, // the key file says whether it has one
//!     ..TpmSource::default()
//! };
//! let identity = Identity::load_tpm(&Source::path("/etc/pki/app.pem"), &key, None)?;
//! let params = SessionParams::builder(
//!     "arn:aws:rolesanywhere:eu-west-1:111122223333:trust-anchor/TA_ID",
//!     "arn:aws:rolesanywhere:eu-west-1:111122223333:profile/PROFILE_ID",
//!     "arn:aws:iam::111122223333:role/app",
//! )
//! .build()?;
//! let transport = Arc::new(cred_providers::BlockingTransport::default());
//! let provider = cred_providers::CachedProvider::new(Arc::new(RolesAnywhereProvider::new(
//!     identity, params, transport,
//! )));
//! let creds = cred_providers::provide_blocking(&provider)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::str::FromStr;
use std::sync::Mutex;

use pkcs8::der::asn1::{Any, ContextSpecific, ObjectIdentifier, OctetString};
use pkcs8::der::{Decode, Reader, SliceReader, TagNumber};
use tss_esapi::attributes::ObjectAttributesBuilder;
use tss_esapi::constants::response_code::Tss2ResponseCodeKind;
use tss_esapi::constants::tss::{TPM2_RH_NULL, TPM2_ST_HASHCHECK};
use tss_esapi::handles::{KeyHandle, ObjectHandle, PersistentTpmHandle, TpmHandle};
use tss_esapi::interface_types::algorithm::{HashingAlgorithm, PublicAlgorithm};
use tss_esapi::interface_types::ecc::EccCurve;
use tss_esapi::interface_types::resource_handles::Hierarchy;
use tss_esapi::interface_types::session_handles::AuthSession;
use tss_esapi::structures::{
    Auth, EccPoint, HashScheme, HashcheckTicket, Private, Public, PublicBuilder,
    PublicEccParametersBuilder, SignatureScheme, SymmetricDefinitionObject,
};
use tss_esapi::traits::UnMarshall;
use tss_esapi::tss2_esys::TPMT_TK_HASHCHECK;
use tss_esapi::{Context, TctiNameConf};
use zeroize::Zeroizing;

use crate::Error;
use crate::cert::KeyType;
use crate::key::Digest;

/// Asks for the TPM key's password: `what` names it, `again` is set after
/// a refused one. The CLI asks on the terminal.
pub type PasswordPrompt = fn(what: &str, again: bool) -> Result<Zeroizing<String>, Error>;

/// The OID of a loadable key in a `TSS2 PRIVATE KEY` file.
const LOADABLE_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.23.133.10.1.3");

/// Which key.
#[derive(Clone)]
pub enum TpmKeyLocation {
    /// A `TSS2 PRIVATE KEY` file's bytes (PEM or DER).
    KeyFile(Zeroizing<Vec<u8>>),
    /// A persistent handle (`0x81000000` to `0x81FFFFFF`).
    Handle(u32),
}

impl std::fmt::Debug for TpmKeyLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TpmKeyLocation::KeyFile(_) => f.write_str("KeyFile(..)"),
            TpmKeyLocation::Handle(h) => write!(f, "Handle({h:#010x})"),
        }
    }
}

impl TpmKeyLocation {
    /// Parses the helper's `handle:0x81000001` form (the `0x` is optional);
    /// `None` when `s` does not start with `handle:`.
    pub fn parse_handle(s: &str) -> Option<Result<Self, Error>> {
        let hex = s.strip_prefix("handle:")?;
        let digits = hex.strip_prefix("0x").unwrap_or(hex);
        Some(match u32::from_str_radix(digits, 16) {
            Ok(h) if h >> 24 == 0x81 => Ok(TpmKeyLocation::Handle(h)),
            Ok(h) => Err(Error::InvalidParameter(format!(
                "TPM handle {h:#010x} is not a persistent handle (0x81000000 to 0x81FFFFFF)"
            ))),
            Err(_) => Err(Error::InvalidParameter(format!(
                "bad TPM handle {s:?}: expected handle:0x81000001 (hexadecimal)"
            ))),
        })
    }
}

/// Where a TPM key is and how it is authorised.
#[derive(Clone, Debug, Default)]
pub struct TpmSource {
    /// The key.
    pub key: Option<TpmKeyLocation>,
    /// The key's password (`--tpm-key-password`). Refused for a key file
    /// that says it has none.
    pub password: Option<Zeroizing<String>>,
    /// The key has no password (`--no-tpm-key-password`; a key file says
    /// so itself).
    pub no_password: bool,
    /// Asks for the password when it is needed and not given.
    pub password_prompt: Option<PasswordPrompt>,
    /// The TCTI configuration (`device:/dev/tpmrm0`,
    /// `swtpm:host=127.0.0.1,port=2321`, `tabrmd:`); `None`: from the
    /// environment (see the module documentation).
    pub tcti: Option<String>,
}

/// What the key file holds.
struct KeyFile {
    empty_auth: bool,
    parent: u32,
    public: Public,
    private: Private,
}

/// Parses a `TSS2 PRIVATE KEY` (the ASN.1 of the OpenSSL TPM 2.0 key
/// file specification): type, `[0] emptyAuth`, `[1] policy`,
/// `[2] secret`, `[3] authPolicy`, `[4] description`, parent, public,
/// private.
fn parse_key_file(bytes: &[u8]) -> Result<KeyFile, Error> {
    let bad = |what: &str| Error::key(format!("TPM key file: {what}"));
    let der: Zeroizing<Vec<u8>> = match crate::key::pem_blocks(bytes)? {
        Some(blocks) => blocks
            .into_iter()
            .find(|(label, _)| label == "TSS2 PRIVATE KEY")
            .map(|(_, der)| der)
            .ok_or_else(|| bad("no TSS2 PRIVATE KEY block"))?,
        None => Zeroizing::new(bytes.to_vec()),
    };
    let mut der = der;
    fix_empty_auth(&mut der);
    let asn1 = |e: pkcs8::der::Error| bad(&format!("not a TPM 2.0 key file ({e})"));
    let mut reader = SliceReader::new(&der).map_err(asn1)?;
    let (oid, empty_auth, extras, parent, public, private) = reader
        .sequence(|r| {
            let oid = ObjectIdentifier::decode(r)?;
            let empty_auth =
                ContextSpecific::<bool>::decode_explicit(r, TagNumber(0))?.is_some_and(|c| c.value);
            let mut extras = Vec::new();
            for (n, name) in [(1, "policy"), (2, "secret"), (3, "authPolicy")] {
                if ContextSpecific::<Any>::decode_explicit(r, TagNumber(n))?.is_some() {
                    extras.push(name);
                }
            }
            // [4] description: a label, nothing to act on.
            let _ = ContextSpecific::<Any>::decode_explicit(r, TagNumber(4))?;
            let parent = u32::decode(r)?;
            let public = OctetString::decode(r)?;
            let private = OctetString::decode(r)?;
            Ok::<_, pkcs8::der::Error>((oid, empty_auth, extras, parent, public, private))
        })
        .map_err(asn1)?;
    reader.finish().map_err(asn1)?;
    if oid != LOADABLE_KEY {
        return Err(bad(&format!(
            "type {oid} is not a loadable key (2.23.133.10.1.3); importable and sealed keys are not supported"
        )));
    }
    if let Some(first) = extras.first() {
        return Err(Error::Unsupported(format!(
            "TPM key file: keys with a {first} are not supported (as with aws_signing_helper); use a key authorised by a password or none"
        )));
    }
    let parent_ok = parent >> 24 == 0x81
        || matches!(
            parent,
            0x4000_0001 | 0x4000_0007 | 0x4000_000B | 0x4000_000C
        );
    if !parent_ok {
        return Err(bad(&format!(
            "parent {parent:#010x} is neither a hierarchy nor a persistent key"
        )));
    }
    let public = sized(public.as_bytes()).ok_or_else(|| bad("bad length of the public area"))?;
    let private = sized(private.as_bytes()).ok_or_else(|| bad("bad length of the private area"))?;
    Ok(KeyFile {
        empty_auth,
        parent,
        public: Public::unmarshall(public)
            .map_err(|e| bad(&format!("the public area does not parse ({e})")))?,
        private: Private::try_from(private.to_vec())
            .map_err(|e| bad(&format!("the private area does not parse ({e})")))?,
    })
}

/// The body of a TPM2B (a 2-byte big-endian length, then that many bytes).
fn sized(b: &[u8]) -> Option<&[u8]> {
    let (len, body) = b.split_first_chunk::<2>()?;
    (usize::from(u16::from_be_bytes(*len)) == body.len()).then_some(body)
}

/// Some writers (the tpm2-tss engine, tpm2-openssl) encode `emptyAuth`
/// TRUE as `01`, which DER does not allow: made `ff` before parsing, as
/// the helper does.
fn fix_empty_auth(der: &mut [u8]) {
    // SEQUENCE header, then the OID (06 06 67 81 05 0a 01 03), then
    // a0 03 01 01 01.
    let Some(&len0) = der.get(1) else { return };
    let start = match len0 {
        0..=0x7f => 2,
        0x81..=0x84 => 2 + usize::from(len0 - 0x80),
        _ => return,
    };
    const OID: [u8; 8] = [0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03];
    if der.get(start..start + 8) == Some(&OID[..])
        && der.get(start + 8..start + 13) == Some(&[0xa0, 0x03, 0x01, 0x01, 0x01][..])
    {
        der[start + 12] = 0xff;
    }
}

/// How the key is authorised at the next signature.
enum Password {
    /// No password.
    Empty,
    /// Given by the caller: refused means an error, not a prompt.
    Given(Zeroizing<String>),
    /// Asked before, and accepted.
    Known(Zeroizing<String>),
    /// To be asked.
    Ask,
}

enum Location {
    File {
        parent: u32,
        public: Public,
        private: Private,
    },
    Handle(u32),
}

/// A key in the TPM, ready to sign.
pub struct TpmKey {
    tcti: String,
    location: Location,
    key_type: KeyType,
    public_key: Vec<u8>,
    password: Mutex<Password>,
    prompt: Option<PasswordPrompt>,
}

impl std::fmt::Debug for TpmKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TpmKey({:?}, {})", self.key_type, self.tcti)
    }
}

fn tpm_error(what: &'static str) -> impl Fn(tss_esapi::Error) -> Error {
    move |e| {
        let hint = match kind(&e) {
            Some(Tss2ResponseCodeKind::Lockout) => {
                " (the TPM is in dictionary-attack lockout after refused passwords: wait for its recovery time, or reset it with tpm2_dictionarylockout --clear-lockout)"
            }
            _ => "",
        };
        Error::key(format!("TPM: {what}: {e}{hint}")).with_source(e)
    }
}

fn kind(e: &tss_esapi::Error) -> Option<Tss2ResponseCodeKind> {
    match e {
        tss_esapi::Error::Tss2Error(rc) => rc.kind(),
        tss_esapi::Error::WrapperError(_) => None,
    }
}

/// The TCTI configuration from the environment (see the module docs).
fn tcti_from_env() -> String {
    if let Some(dev) = std::env::var_os("TPM_DEVICE").filter(|d| !d.is_empty()) {
        return format!("device:{}", dev.to_string_lossy());
    }
    for var in ["TPM2TOOLS_TCTI", "TCTI"] {
        if let Ok(v) = std::env::var(var)
            && !v.is_empty()
        {
            return v;
        }
    }
    if std::path::Path::new("/dev/tpmrm0").exists() || !std::path::Path::new("/dev/tpm0").exists() {
        "device:/dev/tpmrm0".into()
    } else {
        "device:/dev/tpm0".into()
    }
}

/// The storage primary key a transient parent stands for: the helper's
/// template (ECC P-256, SHA-256 names, AES-128-CFB, restricted decryption,
/// no unique data), so that its key files and ours are interchangeable.
fn storage_primary() -> tss_esapi::Result<Public> {
    PublicBuilder::new()
        .with_public_algorithm(PublicAlgorithm::Ecc)
        .with_name_hashing_algorithm(HashingAlgorithm::Sha256)
        .with_object_attributes(
            ObjectAttributesBuilder::new()
                .with_fixed_tpm(true)
                .with_fixed_parent(true)
                .with_sensitive_data_origin(true)
                .with_user_with_auth(true)
                .with_no_da(true)
                .with_restricted(true)
                .with_decrypt(true)
                .build()?,
        )
        .with_ecc_parameters(
            PublicEccParametersBuilder::new_restricted_decryption_key(
                SymmetricDefinitionObject::AES_128_CFB,
                EccCurve::NistP256,
            )
            .build()?,
        )
        .with_ecc_unique_identifier(EccPoint::default())
        .build()
}

/// The key type and the public key as a certificate carries it.
fn public_key(public: &Public) -> Result<(KeyType, Vec<u8>), Error> {
    match public {
        Public::Rsa {
            parameters, unique, ..
        } => {
            let e = match parameters.exponent().value() {
                0 => 65537,
                e => e,
            };
            Ok((KeyType::Rsa, rsa_public_key_der(unique.value(), e)?))
        }
        Public::Ecc {
            parameters, unique, ..
        } => {
            let (key_type, size) = match parameters.ecc_curve() {
                EccCurve::NistP256 => (KeyType::P256, 32),
                EccCurve::NistP384 => (KeyType::P384, 48),
                other => {
                    return Err(Error::Unsupported(format!(
                        "TPM key on curve {other:?}: Roles Anywhere takes P-256 and P-384"
                    )));
                }
            };
            let mut point = vec![0x04];
            for c in [unique.x().value(), unique.y().value()] {
                if c.len() > size {
                    return Err(Error::key("TPM: the key's public point is malformed"));
                }
                point.extend(std::iter::repeat_n(0, size - c.len()));
                point.extend_from_slice(c);
            }
            Ok((key_type, point))
        }
        _ => Err(Error::Unsupported(
            "the TPM object is not an RSA or ECC key".into(),
        )),
    }
}

/// PKCS#1 `RSAPublicKey` DER (what a certificate's subjectPublicKey holds).
fn rsa_public_key_der(modulus: &[u8], exponent: u32) -> Result<Vec<u8>, Error> {
    use pkcs8::der::Encode;
    use pkcs8::der::asn1::UintRef;
    let bad = |_| Error::key("TPM: the RSA public key is malformed");
    let e = exponent.to_be_bytes();
    let seq = (
        UintRef::new(modulus).map_err(bad)?,
        UintRef::new(&e).map_err(bad)?,
    );
    let mut out = Vec::new();
    let len =
        (seq.0.encoded_len().map_err(bad)? + seq.1.encoded_len().map_err(bad)?).map_err(bad)?;
    pkcs8::der::Header::new(pkcs8::der::Tag::Sequence, len)
        .encode_to_vec(&mut out)
        .map_err(bad)?;
    seq.0.encode_to_vec(&mut out).map_err(bad)?;
    seq.1.encode_to_vec(&mut out).map_err(bad)?;
    Ok(out)
}

/// Opens the key `source` names: reads its public part (from the file, or
/// from the TPM for a handle) and decides how it is authorised. Nothing is
/// signed yet; the first signature loads it.
pub fn open(source: &TpmSource) -> Result<TpmKey, Error> {
    let tcti = source.tcti.clone().unwrap_or_else(tcti_from_env);
    let key = source.key.as_ref().ok_or_else(|| {
        Error::InvalidParameter("no TPM key given (a TSS2 PRIVATE KEY file or handle:0x81…)".into())
    })?;
    let (location, public, empty_auth) = match key {
        TpmKeyLocation::KeyFile(bytes) => {
            let file = parse_key_file(bytes)?;
            if file.empty_auth && source.password.is_some() {
                return Err(Error::InvalidParameter(
                    "a TPM key password was given, but the key file says the key has none (emptyAuth)".into(),
                ));
            }
            let public = file.public.clone();
            (
                Location::File {
                    parent: file.parent,
                    public: file.public,
                    private: file.private,
                },
                public,
                file.empty_auth,
            )
        }
        TpmKeyLocation::Handle(h) => {
            let mut ctx = context(&tcti)?;
            let handle = persistent(&mut ctx, *h)?;
            let (public, _, _) = ctx
                .execute_without_session(|ctx| ctx.read_public(handle))
                .map_err(tpm_error("reading the persistent key's public area"))?;
            (Location::Handle(*h), public, source.no_password)
        }
    };
    if source.password.is_some() && source.no_password {
        return Err(Error::InvalidParameter(
            "--tpm-key-password and --no-tpm-key-password exclude each other".into(),
        ));
    }
    if !public.object_attributes().sign_encrypt() {
        return Err(Error::key(
            "TPM: the key cannot sign (its sign attribute is clear): make a signing key",
        ));
    }
    let (key_type, public_key) = public_key(&public)?;
    let password = match (&source.password, empty_auth) {
        (Some(p), _) => Password::Given(p.clone()),
        (None, true) => Password::Empty,
        (None, false) => Password::Ask,
    };
    Ok(TpmKey {
        tcti,
        location,
        key_type,
        public_key,
        password: Mutex::new(password),
        prompt: source.password_prompt,
    })
}

fn context(tcti: &str) -> Result<Context, Error> {
    let conf = TctiNameConf::from_str(tcti).map_err(|_| {
        Error::InvalidParameter(format!(
            "bad TCTI {tcti:?}: expected device:PATH, swtpm:host=…,port=…, mssim:… or tabrmd:…"
        ))
    })?;
    let mut ctx = Context::new(conf).map_err(|e| {
        Error::key(format!(
            "TPM: cannot open the TPM through {tcti}: {e} (is there a TPM, and may this user open it? TPM_DEVICE or TPM2TOOLS_TCTI name another)"
        ))
        .with_source(e)
    })?;
    ctx.set_sessions((Some(AuthSession::Password), None, None));
    Ok(ctx)
}

fn persistent(ctx: &mut Context, handle: u32) -> Result<KeyHandle, Error> {
    let tpm_handle = PersistentTpmHandle::new(handle).map_err(|_| {
        Error::InvalidParameter(format!("{handle:#010x} is not a persistent handle"))
    })?;
    ctx.execute_without_session(|ctx| ctx.tr_from_tpm_public(TpmHandle::Persistent(tpm_handle)))
        .map(KeyHandle::from)
        .map_err(|e| {
            Error::key(format!(
                "TPM: no key at persistent handle {handle:#010x}: {e}"
            ))
            .with_source(e)
        })
}

impl TpmKey {
    /// The key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The public key as a certificate carries it.
    pub fn public_key(&self) -> &[u8] {
        &self.public_key
    }

    /// Loads the key: its handle, and what to flush afterwards.
    fn load(&self, ctx: &mut Context) -> Result<(KeyHandle, Option<KeyHandle>), Error> {
        match &self.location {
            Location::Handle(h) => Ok((persistent(ctx, *h)?, None)),
            Location::File {
                parent,
                public,
                private,
            } => {
                let (parent_handle, transient) = if parent >> 24 == 0x81 {
                    (persistent(ctx, *parent)?, false)
                } else {
                    let hierarchy = match parent {
                        0x4000_0007 => Hierarchy::Null,
                        0x4000_000B => Hierarchy::Endorsement,
                        0x4000_000C => Hierarchy::Platform,
                        _ => Hierarchy::Owner,
                    };
                    let template = storage_primary().map_err(tpm_error("the primary template"))?;
                    let primary = ctx
                        .create_primary(hierarchy, template, None, None, None, None)
                        .map_err(tpm_error(
                            "creating the storage primary key (the key's parent)",
                        ))?;
                    (primary.key_handle, true)
                };
                let loaded = ctx.load(parent_handle, private.clone(), public.clone());
                if transient {
                    let _ = ctx.flush_context(ObjectHandle::from(parent_handle));
                }
                let key = loaded.map_err(|e| {
                    Error::key(format!(
                        "TPM: the key file does not load under its parent {parent:#010x}: {e} (was it made on this TPM, under this parent?)"
                    ))
                    .with_source(e)
                })?;
                Ok((key, Some(key)))
            }
        }
    }

    /// Signs `message` hashed with `digest`: RSA PKCS#1 v1.5 or ECDSA
    /// (DER), in the TPM.
    pub fn sign(&self, message: &[u8], digest: Digest) -> Result<Vec<u8>, Error> {
        let hash = ring::digest::digest(digest.ring(), message);
        let hash_alg = match digest {
            Digest::Sha256 => HashingAlgorithm::Sha256,
            Digest::Sha384 => HashingAlgorithm::Sha384,
            Digest::Sha512 => HashingAlgorithm::Sha512,
        };
        let (scheme, value) = match self.key_type {
            KeyType::Rsa => (
                SignatureScheme::RsaSsa {
                    hash_scheme: HashScheme::new(hash_alg),
                },
                hash.as_ref().to_vec(),
            ),
            KeyType::P256 | KeyType::P384 => {
                // ECDSA signs the digest as an integer: the TPM wants one
                // of the curve's size, so it is truncated or left-padded
                // (which keeps its value) and named by that size, as the
                // helper does.
                let (size, alg): (usize, _) = if self.key_type == KeyType::P256 {
                    (32, HashingAlgorithm::Sha256)
                } else {
                    (48, HashingAlgorithm::Sha384)
                };
                let h = hash.as_ref();
                let mut v = vec![0u8; size.saturating_sub(h.len())];
                v.extend_from_slice(&h[..h.len().min(size)]);
                (
                    SignatureScheme::EcDsa {
                        hash_scheme: HashScheme::new(alg),
                    },
                    v,
                )
            }
            _ => return Err(Error::Unsupported("the TPM key is not RSA or ECDSA".into())),
        };
        let mut password = self
            .password
            .lock()
            .map_err(|_| Error::key("TPM: the key's lock is poisoned"))?;
        let mut ctx = context(&self.tcti)?;
        let (key, flush) = self.load(&mut ctx)?;
        let result = self.sign_loaded(&mut ctx, key, scheme, value, &mut password);
        if let Some(h) = flush {
            let _ = ctx.flush_context(ObjectHandle::from(h));
        }
        let sig = result?;
        match sig {
            tss_esapi::structures::Signature::RsaSsa(s) => Ok(s.signature().value().to_vec()),
            tss_esapi::structures::Signature::EcDsa(s) => {
                let size = if self.key_type == KeyType::P256 {
                    32
                } else {
                    48
                };
                let mut raw = Vec::with_capacity(2 * size);
                for c in [s.signature_r().value(), s.signature_s().value()] {
                    if c.len() > size {
                        return Err(Error::key("TPM: the ECDSA signature is malformed"));
                    }
                    raw.extend(std::iter::repeat_n(0, size - c.len()));
                    raw.extend_from_slice(c);
                }
                crate::key::ecdsa_der(self.key_type, &raw)
            }
            _ => Err(Error::key("TPM: the signature has an unexpected scheme")),
        }
    }

    fn sign_loaded(
        &self,
        ctx: &mut Context,
        key: KeyHandle,
        scheme: SignatureScheme,
        value: Vec<u8>,
        password: &mut Password,
    ) -> Result<tss_esapi::structures::Signature, Error> {
        let digest = tss_esapi::structures::Digest::try_from(value)
            .map_err(tpm_error("the digest to sign"))?;
        let ticket = HashcheckTicket::try_from(TPMT_TK_HASHCHECK {
            tag: TPM2_ST_HASHCHECK,
            hierarchy: TPM2_RH_NULL,
            digest: Default::default(),
        })
        .map_err(tpm_error("the hash-check ticket"))?;
        let mut asked = 0;
        loop {
            let candidate = match &*password {
                Password::Empty => Zeroizing::new(String::new()),
                Password::Given(p) | Password::Known(p) => p.clone(),
                Password::Ask => {
                    let prompt = self.prompt.ok_or_else(|| {
                        Error::InvalidParameter(
                            "the TPM key needs its password: give --tpm-key-password (or --no-tpm-key-password if it has none)".into(),
                        )
                    })?;
                    let p = prompt("TPM key password", asked > 0)?;
                    asked += 1;
                    p
                }
            };
            let auth = Auth::try_from(candidate.as_bytes().to_vec()).map_err(|_| {
                Error::InvalidParameter("the TPM key password is too long for the key".into())
            })?;
            ctx.tr_set_auth(ObjectHandle::from(key), auth)
                .map_err(tpm_error("setting the key's password"))?;
            match ctx.sign(key, digest.clone(), scheme, ticket.clone()) {
                Ok(sig) => {
                    if matches!(password, Password::Ask) {
                        *password = Password::Known(candidate);
                    }
                    return Ok(sig);
                }
                Err(e)
                    if matches!(
                        kind(&e),
                        Some(Tss2ResponseCodeKind::AuthFail | Tss2ResponseCodeKind::BadAuth)
                    ) =>
                {
                    match password {
                        Password::Given(_) => {
                            return Err(Error::key("TPM: incorrect TPM key password"));
                        }
                        Password::Empty => {
                            return Err(Error::key(
                                "TPM: the key has a password: give --tpm-key-password (or leave out --no-tpm-key-password to be asked)",
                            ));
                        }
                        Password::Known(_) => *password = Password::Ask,
                        Password::Ask if asked >= 3 => {
                            return Err(Error::key("TPM: incorrect TPM key password (3 attempts)"));
                        }
                        Password::Ask => {}
                    }
                }
                Err(e) => return Err(tpm_error("signing")(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_are_persistent_and_hexadecimal() {
        assert!(matches!(
            TpmKeyLocation::parse_handle("handle:0x81000001"),
            Some(Ok(TpmKeyLocation::Handle(0x8100_0001)))
        ));
        assert!(matches!(
            TpmKeyLocation::parse_handle("handle:810000ff"),
            Some(Ok(TpmKeyLocation::Handle(0x8100_00ff)))
        ));
        for bad in [
            "handle:0x80000001",
            "handle:0x",
            "handle:0xz1",
            "handle:0x1810000001",
        ] {
            assert!(
                matches!(TpmKeyLocation::parse_handle(bad), Some(Err(_))),
                "{bad}"
            );
        }
        assert!(TpmKeyLocation::parse_handle("/etc/pki/key.pem").is_none());
    }

    #[test]
    fn tpm2b_lengths_are_checked() {
        assert_eq!(sized(&[0, 2, 7, 8]), Some(&[7u8, 8][..]));
        assert_eq!(sized(&[0, 3, 7, 8]), None);
        assert_eq!(sized(&[0]), None);
    }

    #[test]
    fn a_boolean_true_written_as_01_is_read() {
        // SEQUENCE { OID loadable-key, [0] { BOOLEAN 01 } } — the rest is
        // not looked at.
        let mut der = vec![
            0x30, 0x0f, 0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03, 0xa0, 0x03, 0x01, 0x01,
            0x01, 0x02, 0x00,
        ];
        fix_empty_auth(&mut der);
        assert_eq!(der[14], 0xff);
        let mut other = vec![0x30, 0x03, 0x01, 0x01, 0x01];
        fix_empty_auth(&mut other);
        assert_eq!(other[4], 0x01, "only after the loadable-key OID");
    }

    #[test]
    fn what_is_not_a_key_file_is_refused_in_words() {
        for bytes in [
            &b"garbage"[..],
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        ] {
            let err = parse_key_file(bytes).err().expect("refused").to_string();
            assert!(err.contains("TPM key file"), "{err}");
        }
    }
}
