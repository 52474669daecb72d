//! `rolesanywhere`: a drop-in for `aws_signing_helper`.
//!
//! Errors print one line on stderr and exit non-zero with nothing on
//! stdout, so a `credential_process` consumer never mistakes an error for
//! credentials.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::SystemTime;

use clap::{Args, Parser, Subcommand};
use cred_providers::process::ProcessJson;
use cred_providers::transport::{
    BlockingTransport, ProxySetting, TlsSetting, Transport, TransportConfig,
};
use rolesanywhere::cert::EndEntity;
use rolesanywhere::identity::{Identity, IdentitySource, Source};
use rolesanywhere::key::{Digest, PrivateKey, read_pkcs12};
use rolesanywhere::pkcs11::{CertSelector, CertificateLocation, Pkcs11Source, Pkcs11Uri};
use rolesanywhere::session::SessionParams;
#[cfg(feature = "tpm")]
use rolesanywhere::tpm::{TpmKeyLocation, TpmSource};
use rolesanywhere::{Error, RolesAnywhereProvider};
use zeroize::Zeroizing;

mod serve;
mod update;

/// Why a command failed: the library's error, or the command's own (a flag
/// missing, a file or stdout it could not write). The wording that names
/// flags, and the exit status, are decided here and nowhere else.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The library refused or failed.
    Lib(Error),
    /// A required flag is missing, or flags do not fit together.
    Usage(String),
    /// The command's own I/O (listening, writing a file or stdout).
    Io(String),
    /// Input the user must fix, in a command that exits 2 for it
    /// (`trust-policy`).
    Input(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Lib(e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl Failure {
    /// The exit status: 1 for every failure after the flags were parsed,
    /// as `aws_signing_helper` does (clap's own usage errors exit 2), but 2
    /// for the unusable input of `trust-policy`, which the helper has not.
    fn exit_code(&self) -> u8 {
        match self {
            Failure::Input(_) => 2,
            _ => 1,
        }
    }

    /// The one line printed on stderr, naming the flag to fix where there
    /// is one.
    pub(crate) fn message(&self) -> String {
        let text = match self {
            Failure::Lib(e @ Error::KeyMismatch) => {
                format!("{e}; check that --private-key is the key --certificate was issued for")
            }
            Failure::Lib(e @ Error::PassphraseRequired) => {
                format!("{e}; give it with --pkcs8-password")
            }
            Failure::Lib(e @ Error::WrongPassphrase { .. }) => {
                format!("{e}; check --pkcs8-password")
            }
            Failure::Lib(e) => e.to_string(),
            Failure::Usage(m) | Failure::Io(m) | Failure::Input(m) => m.clone(),
        };
        one_line(&text)
    }
}

#[derive(Parser)]
#[command(
    name = "rolesanywhere",
    version,
    about = "IAM Roles Anywhere: X.509 certificate + key -> temporary AWS credentials (a drop-in for aws_signing_helper)"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Prints credentials in the credential_process JSON format.
    CredentialProcess(CredArgs),
    /// Signs standard input (or STRING) with the private key; prints the
    /// signature.
    SignString(SignStringArgs),
    /// Prints what the certificate holds and the session tags it yields.
    ReadCertificateData(ReadArgs),
    /// Serves credentials on an IMDSv2-compatible endpoint on 127.0.0.1.
    Serve(ServeArgs),
    /// Writes credentials into a profile of the shared credentials file and
    /// keeps them fresh.
    Update(UpdateArgs),
    /// Prints the trust policy of a role for this certificate.
    TrustPolicy(TrustPolicyArgs),
}

#[derive(Args)]
struct TrustPolicyArgs {
    /// The end-entity certificate (PEM or DER).
    #[arg(long, value_name = "PATH")]
    certificate: PathBuf,
    /// The trust anchor the certificate chains to.
    #[arg(long, value_name = "ARN")]
    trust_anchor_arn: String,
    /// A principal tag to condition on, as read-certificate-data names it
    /// (x509Subject/CN, x509SAN/DNS, …). Repeatable; default: the
    /// subject's CN and OU.
    #[arg(long = "tag", value_name = "NAME")]
    tags: Vec<String>,
}

/// Flags of the helper's other key stores: accepted, then refused.
#[derive(Args, Default)]
struct OtherStores {
    /// Pick the certificate on the PKCS#11 token (--pkcs11-lib) by
    /// 'Key=x509Subject,Value=… Key=x509Issuer,Value=… Key=x509Serial,Value=HEX'
    /// or a JSON file (file://PATH) of [{"Key":…,"Value":…}].
    #[arg(long, value_name = "SELECTOR")]
    cert_selector: Option<String>,
    /// (Windows only) the system certificate store's name.
    #[arg(long, value_name = "NAME")]
    system_store_name: Option<String>,
    /// The PKCS#11 module of a smart card or HSM; --certificate and
    /// --private-key are then pkcs11: URIs (or the certificate a file).
    #[arg(long, value_name = "PATH")]
    pkcs11_lib: Option<String>,
    /// For a key with CKA_ALWAYS_AUTHENTICATE, use the user PIN as its
    /// context-specific PIN (else, or if refused, ask on the terminal).
    #[arg(long)]
    reuse_pin: bool,
    /// The password of the TPM key (--private-key is a TSS2 PRIVATE KEY
    /// file or handle:0x81…); asked on the terminal when needed and not
    /// given.
    #[arg(long, value_name = "PASSWORD")]
    tpm_key_password: Option<String>,
    /// The TPM key (a persistent handle) has no password.
    #[arg(long)]
    no_tpm_key_password: bool,
}

/// Which key store the flags are used with.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Store {
    /// Key files (PEM, DER, PKCS#8, PKCS#12).
    Files,
    /// A PKCS#11 token (--pkcs11-lib).
    Token,
    /// A TPM 2.0 (a TSS2 PRIVATE KEY file, handle:0x81…).
    Tpm,
}

impl OtherStores {
    /// Refuses the flags of key stores other than `store`, and those of
    /// stores that exist only on Windows or macOS.
    fn refuse(&self, store: Store) -> Result<(), Failure> {
        if self.system_store_name.is_some() {
            return Err(Failure::Lib(Error::Unsupported(
                "--system-store-name names a Windows certificate store; there is none here (use a key file, --pkcs11-lib or a TPM key)".into(),
            )));
        }
        let token_only = [
            ("--cert-selector", self.cert_selector.is_some()),
            ("--reuse-pin", self.reuse_pin),
        ];
        if let (false, Some((flag, _))) =
            (store == Store::Token, token_only.iter().find(|(_, on)| *on))
        {
            return Err(Failure::Lib(Error::Unsupported(format!(
                "{flag} applies to keys on a PKCS#11 token (--pkcs11-lib); the system certificate stores it also selects from are Windows/macOS only"
            ))));
        }
        let tpm_only = [
            ("--tpm-key-password", self.tpm_key_password.is_some()),
            ("--no-tpm-key-password", self.no_tpm_key_password),
        ];
        if let (false, Some((flag, _))) = (store == Store::Tpm, tpm_only.iter().find(|(_, on)| *on))
        {
            return Err(Failure::Usage(format!(
                "{flag} applies to TPM keys (--private-key is a TSS2 PRIVATE KEY file or handle:0x81…)"
            )));
        }
        Ok(())
    }
}

/// Asks for a PIN on the terminal (`/dev/tty`), without echo, as
/// `aws_signing_helper` does; stdout stays clean for the credentials.
fn tty_pin(what: &str, again: bool) -> Result<Zeroizing<String>, Error> {
    let prompt = if again {
        format!("Incorrect {what}. Please re-enter your {what}: ")
    } else {
        format!("Please enter your {what}: ")
    };
    rpassword::prompt_password(prompt).map(Zeroizing::new).map_err(|e| {
        let give = if what.contains("TPM") {
            "give --tpm-key-password (or --no-tpm-key-password if the key has none)"
        } else {
            "give pin-value= or pin-source= in the pkcs11: URI"
        };
        Error::InvalidParameter(format!(
            "the key needs its {what} and none was given: cannot ask on a terminal ({e}); {give}"
        ))
    })
}

#[cfg_attr(not(feature = "tpm"), allow(dead_code))]
/// A TPM key named by --private-key: a persistent handle, or a file that
/// holds a TSS2 PRIVATE KEY (standard input is never a TPM key).
enum TpmKeyArg {
    Handle(String),
    File(Zeroizing<Vec<u8>>),
}

/// What --private-key names.
enum KeyArg {
    /// A key in the TPM.
    Tpm(TpmKeyArg),
    /// Any other key: a file's bytes, or standard input.
    Source(Source),
}

#[derive(Args)]
struct KeyArgs {
    /// The end-entity certificate (PEM or DER), or a PKCS#12 bundle when
    /// no --private-key is given; `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    certificate: Option<PathBuf>,
    /// The private key (PEM or DER: PKCS#8, PKCS#1, SEC1, encrypted
    /// PKCS#8); `-` reads stdin.
    #[arg(long, value_name = "PATH")]
    private_key: Option<PathBuf>,
    /// Intermediate CA certificates (PEM bundle), sent in file order.
    #[arg(long, value_name = "PATH")]
    intermediates: Option<PathBuf>,
    /// Passphrase of an encrypted PKCS#8 key or a PKCS#12 bundle.
    #[arg(long, value_name = "PASSWORD")]
    pkcs8_password: Option<String>,
    #[command(flatten)]
    other: OtherStores,
}

impl KeyArgs {
    /// The PKCS#11 source, when the key is on a token.
    fn pkcs11(&self) -> Result<Option<Pkcs11Source>, Failure> {
        let uri = |p: &Option<PathBuf>| {
            p.as_ref()
                .and_then(|p| p.to_str())
                .filter(|s| Pkcs11Uri::is_uri(s))
                .map(str::to_string)
        };
        let (cert_uri, key_uri) = (uri(&self.certificate), uri(&self.private_key));
        let Some(module) = self.other.pkcs11_lib.clone() else {
            if cert_uri.is_some() || key_uri.is_some() {
                return Err(Failure::Usage(
                    "a pkcs11: URI needs --pkcs11-lib, the token's PKCS#11 module".into(),
                ));
            }
            return Ok(None);
        };
        self.other.refuse(Store::Token)?;
        let selector = match &self.other.cert_selector {
            None => None,
            Some(_) if self.certificate.is_some() => {
                return Err(Failure::Usage(
                    "--cert-selector cannot go with --certificate".into(),
                ));
            }
            Some(sel) => Some(match sel.strip_prefix("file://") {
                Some(path) => {
                    CertSelector::parse(&std::fs::read_to_string(path).map_err(|e| {
                        Failure::Usage(format!("cannot read the cert selector file {path}: {e}"))
                    })?)?
                }
                None => CertSelector::parse(sel)?,
            }),
        };
        let certificate = match (&cert_uri, &self.certificate, &key_uri) {
            _ if selector.is_some() => {
                CertificateLocation::Selected(selector.clone().expect("checked"))
            }
            (Some(u), _, _) => CertificateLocation::Token(Box::new(Pkcs11Uri::parse(u)?)),
            (None, Some(path), _) => CertificateLocation::File(path.clone()),
            // Only the key named (sign-string): its certificate is the one
            // stored beside it, under the same label or id.
            (None, None, Some(k)) => CertificateLocation::Token(Box::new(Pkcs11Uri::parse(k)?)),
            (None, None, None) => {
                return Err(Failure::Usage("--certificate is required".into()));
            }
        };
        if self.private_key.is_some() && key_uri.is_none() {
            return Err(Failure::Usage(
                "with --pkcs11-lib, --private-key is a pkcs11: URI (or left out to find the certificate's key)".into(),
            ));
        }
        Ok(Some(Pkcs11Source {
            module: PathBuf::from(module),
            certificate,
            private_key: key_uri.map(|u| Pkcs11Uri::parse(&u)).transpose()?,
            pin: None,
            pin_prompt: Some(tty_pin),
            reuse_pin: self.other.reuse_pin,
        }))
    }

    /// What --private-key names, read once: a TPM key (a persistent
    /// handle, or a file holding a TSS2 PRIVATE KEY), or the bytes of any
    /// other key file (standard input is read later, by the key loader).
    fn private_key(&self) -> Result<Option<KeyArg>, Failure> {
        let Some(path) = &self.private_key else {
            return Ok(None);
        };
        if let Some(s) = path.to_str().filter(|s| s.starts_with("handle:")) {
            return Ok(Some(KeyArg::Tpm(TpmKeyArg::Handle(s.to_string()))));
        }
        if path.as_os_str() == "-" {
            return Ok(Some(KeyArg::Source(Source::Path(path.clone()))));
        }
        let bytes = Source::Path(path.clone()).read("private key")?;
        Ok(Some(if rolesanywhere::key::is_tpm_key_file(&bytes) {
            KeyArg::Tpm(TpmKeyArg::File(bytes))
        } else {
            KeyArg::Source(Source::Bytes(bytes))
        }))
    }

    /// The TPM source for `key`.
    #[cfg(feature = "tpm")]
    fn tpm(&self, key: TpmKeyArg) -> Result<TpmSource, Failure> {
        self.other.refuse(Store::Tpm)?;
        if self.other.pkcs11_lib.is_some() {
            return Err(Failure::Usage(
                "--pkcs11-lib cannot go with a TPM key".into(),
            ));
        }
        let key = match key {
            TpmKeyArg::Handle(h) => match TpmKeyLocation::parse_handle(&h) {
                Some(parsed) => parsed?,
                None => return Err(Failure::Usage(format!("bad TPM handle {h:?}"))),
            },
            TpmKeyArg::File(bytes) => TpmKeyLocation::KeyFile(bytes),
        };
        Ok(TpmSource {
            key: Some(key),
            password: self.other.tpm_key_password.clone().map(Zeroizing::new),
            no_password: self.other.no_tpm_key_password,
            password_prompt: Some(tty_pin),
            tcti: None,
        })
    }

    /// The certificate (a file) and its key in the TPM.
    #[cfg(feature = "tpm")]
    fn tpm_identity(&self, key: TpmKeyArg) -> Result<Identity, Failure> {
        let tpm = self.tpm(key)?;
        let certificate = self
            .certificate
            .clone()
            .ok_or_else(|| Failure::Usage("--certificate is required".into()))?;
        let intermediates = self.intermediates.clone().map(Source::Path);
        Ok(Identity::load_tpm(
            &Source::Path(certificate),
            &tpm,
            intermediates.as_ref(),
        )?)
    }

    /// The TPM key alone (sign-string).
    #[cfg(feature = "tpm")]
    fn tpm_private_key(&self, key: TpmKeyArg) -> Result<PrivateKey, Failure> {
        let source = self.tpm(key)?;
        Ok(PrivateKey::Tpm(Box::new(rolesanywhere::tpm::open(
            &source,
        )?)))
    }

    #[cfg(not(feature = "tpm"))]
    fn tpm_identity(&self, _key: TpmKeyArg) -> Result<Identity, Failure> {
        Err(no_tpm())
    }

    #[cfg(not(feature = "tpm"))]
    fn tpm_private_key(&self, _key: TpmKeyArg) -> Result<PrivateKey, Failure> {
        Err(no_tpm())
    }

    /// The identity, from files, a token or a TPM.
    fn identity(&self) -> Result<Identity, Failure> {
        if let Some(p) = self.pkcs11()? {
            let intermediates = self.intermediates.clone().map(Source::Path);
            return Ok(Identity::load_pkcs11(&p, intermediates.as_ref())?);
        }
        let private_key = match self.private_key()? {
            Some(KeyArg::Tpm(key)) => return self.tpm_identity(key),
            Some(KeyArg::Source(source)) => Some(source),
            None => None,
        };
        Ok(Identity::load(&self.source(private_key)?)?)
    }

    fn source(&self, private_key: Option<Source>) -> Result<IdentitySource, Failure> {
        self.other.refuse(Store::Files)?;
        let certificate = self
            .certificate
            .clone()
            .ok_or_else(|| Failure::Usage("--certificate is required".into()))?;
        Ok(IdentitySource {
            certificate: Source::Path(certificate),
            private_key,
            intermediates: self.intermediates.clone().map(Source::Path),
            password: self.pkcs8_password.clone().map(Zeroizing::new),
        })
    }
}

#[derive(Args)]
struct CredArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// The trust anchor ARN.
    #[arg(long, value_name = "ARN")]
    trust_anchor_arn: Option<String>,
    /// The profile ARN.
    #[arg(long, value_name = "ARN")]
    profile_arn: Option<String>,
    /// The role ARN.
    #[arg(long, value_name = "ARN")]
    role_arn: Option<String>,
    /// Session duration in seconds (900 to 43200).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600)]
    session_duration: u32,
    /// Signing region (default: the trust anchor ARN's).
    #[arg(long)]
    region: Option<String>,
    /// Base URL of the endpoint; `/sessions` is appended (http:// allowed
    /// for local endpoints).
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// The role session name.
    #[arg(long, value_name = "NAME")]
    role_session_name: Option<String>,
    /// Do not verify the endpoint's TLS certificate.
    #[arg(long)]
    no_verify_ssl: bool,
    /// Use the proxy of HTTPS_PROXY / HTTP_PROXY / NO_PROXY.
    #[arg(long)]
    with_proxy: bool,
    /// Print the canonical request and string to sign on stderr.
    #[arg(long)]
    debug: bool,
}

#[derive(Args)]
struct SignStringArgs {
    /// The string to sign; `-` reads standard input. Without it, the
    /// official helper's fixed test string is signed: "AWS Roles Anywhere
    /// Credential Helper Signing Test" || "1" || SHA-256("IAM RA" || the
    /// public key) (PKCS#1 for RSA, the uncompressed point for EC).
    string: Option<String>,
    #[command(flatten)]
    key: KeyArgs,
    /// The digest.
    #[arg(long, value_parser = ["SHA256", "SHA384", "SHA512"], default_value = "SHA256")]
    digest: String,
    /// The output format.
    #[arg(long, value_parser = ["json", "text", "bin"], default_value = "json")]
    format: String,
}

#[derive(Args)]
struct ReadArgs {
    #[command(flatten)]
    key: KeyArgs,
    /// Print the debug output.
    #[arg(long)]
    debug: bool,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    cred: CredArgs,
    /// Port on 127.0.0.1 (0 picks a free one and prints it).
    #[arg(long, default_value_t = 9911)]
    port: u16,
}

#[derive(Args)]
struct UpdateArgs {
    #[command(flatten)]
    cred: CredArgs,
    /// The profile to write in the shared credentials file.
    #[arg(long, default_value = "default")]
    profile: String,
    /// Write once and exit.
    #[arg(long)]
    once: bool,
}

/// The provider and whether to trace, built from the flags.
struct Session {
    provider: RolesAnywhereProvider,
    debug: bool,
}

impl CredArgs {
    fn session(&self) -> Result<Session, Failure> {
        let need = |v: &Option<String>, flag: &str| {
            v.clone()
                .ok_or_else(|| Failure::Usage(format!("{flag} is required")))
        };
        let trust_anchor = need(&self.trust_anchor_arn, "--trust-anchor-arn")?;
        let profile = need(&self.profile_arn, "--profile-arn")?;
        let role = need(&self.role_arn, "--role-arn")?;
        let endpoint = self.endpoint.clone().or_else(env_endpoint);
        if !SessionParams::DURATION_SECONDS.contains(&self.session_duration) {
            return Err(Failure::Usage(
                "--session-duration must be 900 to 43200 seconds".into(),
            ));
        }
        let mut builder = SessionParams::builder(trust_anchor, profile, role)
            .duration_seconds(self.session_duration);
        if let Some(r) = &self.region {
            builder = builder.region(r);
        }
        if let Some(e) = endpoint {
            builder = builder.endpoint(e);
        }
        if let Some(n) = &self.role_session_name {
            builder = builder.role_session_name(n);
        }
        let params = builder.build()?;
        let identity = self.key.identity()?;
        identity.check_validity(SystemTime::now())?;
        let config = TransportConfig {
            tls: if self.no_verify_ssl {
                TlsSetting::Insecure
            } else {
                TlsSetting::Platform
            },
            proxy: if self.with_proxy {
                ProxySetting::FromEnv
            } else {
                ProxySetting::None
            },
            ..TransportConfig::default()
        };
        let transport: Arc<dyn Transport> =
            Arc::new(BlockingTransport::try_new(config).map_err(Error::Transport)?);
        Ok(Session {
            provider: RolesAnywhereProvider::new(identity, params, transport),
            debug: self.debug,
        })
    }
}

/// `AWS_ENDPOINT_URL_ROLESANYWHERE`, then `AWS_ENDPOINT_URL`, as the SDKs
/// read them (off with `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`).
fn env_endpoint() -> Option<String> {
    let env = cred_providers::ProcessEnv;
    cred_providers::endpoint::resolve_endpoint(
        "RolesAnywhere",
        &env,
        &cred_providers::profile::ProfileSet::default(),
        None,
    )
    .map(|(url, _)| url)
}

impl Session {
    fn credentials(&self) -> Result<cred_providers::Credentials, Error> {
        let (mut creq, mut sts) = (Vec::new(), Vec::new());
        let trace = self.debug.then_some(sigv4_core::Trace {
            canonical_request: &mut creq,
            string_to_sign: &mut sts,
        });
        let request = self.provider.request(SystemTime::now(), trace)?;
        if self.debug {
            eprintln!("rolesanywhere: {} {}", request.method(), request.uri());
            eprintln!(
                "rolesanywhere: canonical request:\n{}",
                String::from_utf8_lossy(&creq)
            );
            eprintln!(
                "rolesanywhere: string to sign:\n{}",
                String::from_utf8_lossy(&sts)
            );
        }
        pollster::block_on(self.provider.exchange(request))
    }
}

fn sign_string(args: &SignStringArgs) -> Result<Vec<u8>, Failure> {
    let password = args.key.pkcs8_password.as_deref();
    let key = if let Some(token) = args.key.pkcs11()? {
        let (_, key) = rolesanywhere::pkcs11::open(&token)?;
        PrivateKey::Pkcs11(Box::new(key))
    } else {
        match (args.key.private_key()?, &args.key.certificate) {
            (Some(KeyArg::Tpm(key)), _) => args.key.tpm_private_key(key)?,
            (Some(KeyArg::Source(source)), _) => {
                args.key.other.refuse(Store::Files)?;
                PrivateKey::from_bytes(&source.read("private key")?, password)?
            }
            (None, Some(p12)) => {
                args.key.other.refuse(Store::Files)?;
                read_pkcs12(
                    &Source::Path(p12.clone()).read("PKCS#12 bundle")?,
                    password.unwrap_or(""),
                )?
                .key
            }
            (None, None) => return Err(Failure::Usage("--private-key is required".into())),
        }
    };
    let message: Zeroizing<Vec<u8>> = match args.string.as_deref() {
        Some("-") => Source::path("-").read("string to sign")?,
        Some(s) => Zeroizing::new(s.as_bytes().to_vec()),
        None => Zeroizing::new(fixed_string_to_sign(&key)),
    };
    let digest = match args.digest.as_str() {
        "SHA384" => Digest::Sha384,
        "SHA512" => Digest::Sha512,
        _ => Digest::Sha256,
    };
    let sig = key.sign(&message, digest)?;
    let hex: String = sig.iter().map(|b| format!("{b:02x}")).collect();
    Ok(match args.format.as_str() {
        "bin" => sig,
        "text" => hex.into_bytes(),
        _ => serde_json::to_string(&hex).unwrap_or_default().into_bytes(),
    })
}

/// What `aws_signing_helper sign-string` signs (its test string, version
/// 1): a check that a key signs, comparable across the two tools. The
/// helper appends the public key's digest for RSA and EC keys only.
fn fixed_string_to_sign(key: &PrivateKey) -> Vec<u8> {
    let mut out = b"AWS Roles Anywhere Credential Helper Signing Test1".to_vec();
    if !key.key_type().is_ml_dsa() {
        let mut suffix = ring::digest::Context::new(&ring::digest::SHA256);
        suffix.update(b"IAM RA");
        suffix.update(&key.public_key());
        out.extend_from_slice(suffix.finish().as_ref());
    }
    out
}

/// The refusal of a build without the `tpm` feature.
#[cfg(not(feature = "tpm"))]
fn no_tpm() -> Failure {
    Failure::Lib(Error::Unsupported(
        "this rolesanywhere was built without TPM support: install it with --features tpm (which needs libtss2-dev)".into(),
    ))
}

fn read_certificate_data(args: &ReadArgs) -> Result<String, Failure> {
    args.key.other.refuse(Store::Files)?;
    let path = args
        .key
        .certificate
        .as_ref()
        .ok_or_else(|| Failure::Usage("--certificate is required".into()))?;
    let bytes = Source::Path(path.clone()).read("certificate")?;
    let cert = match EndEntity::from_bytes(&bytes) {
        Ok(c) => c,
        Err(e) => match read_pkcs12(&bytes, args.key.pkcs8_password.as_deref().unwrap_or("")) {
            Ok(bundle) => EndEntity::from_der(&bundle.certificate)?,
            Err(_) => return Err(e.into()),
        },
    };
    let family = cert.key_type().family();
    let tags: serde_json::Map<String, serde_json::Value> = cert
        .principal_tags()
        .into_iter()
        .map(|(k, v)| (k, serde_json::Value::String(v)))
        .collect();
    let out = serde_json::json!({
        "keyType": family,
        "certificateData": cert.header_value(),
        "serialNumber": cert.serial_decimal(),
        "supportedAlgorithms": cert.key_type().supported_algorithms(),
        "subject": cert.subject(),
        "issuer": cert.issuer(),
        "subjectAlternativeNames": cert.subject_alternative_names(),
        "notBefore": cred_providers::time::format_rfc3339(cert.not_before()),
        "notAfter": cred_providers::time::format_rfc3339(cert.not_after()),
        "principalTags": tags,
    });
    if args.debug {
        eprintln!("rolesanywhere: serial (hex) {}", cert.serial_hex());
    }
    Ok(out.to_string())
}

fn run(cli: Cli) -> Result<(), Failure> {
    let stdout = std::io::stdout();
    let write_out = |bytes: &[u8]| -> Result<(), Failure> {
        let mut lock = stdout.lock();
        lock.write_all(bytes)
            .and_then(|_| lock.flush())
            .map_err(|e| Failure::Io(format!("cannot write to stdout: {e}")))
    };
    match cli.cmd {
        Cmd::CredentialProcess(args) => {
            let session = args.session()?;
            let creds = session.credentials()?;
            let json = serde_json::to_string(&ProcessJson::new(&creds))
                .map_err(|e| Failure::Io(format!("cannot render JSON: {e}")))?;
            write_out(json.as_bytes())
        }
        Cmd::SignString(args) => write_out(&sign_string(&args)?),
        Cmd::ReadCertificateData(args) => write_out(read_certificate_data(&args)?.as_bytes()),
        Cmd::Serve(args) => {
            let session = args.cred.session()?;
            serve::run(
                session,
                args.port,
                args.cred.role_arn.as_deref().unwrap_or_default(),
            )
        }
        Cmd::TrustPolicy(args) => {
            let input = |e: Error| Failure::Input(e.to_string());
            let bytes = Source::Path(args.certificate.clone())
                .read("certificate")
                .map_err(input)?;
            let cert = EndEntity::from_bytes(&bytes).map_err(input)?;
            let tags: Vec<&str> = args.tags.iter().map(String::as_str).collect();
            let policy = rolesanywhere::policy::trust_policy(&cert, &args.trust_anchor_arn, &tags)
                .map_err(input)?;
            write_out(format!("{policy}\n").as_bytes())
        }
        Cmd::Update(args) => {
            let session = args.cred.session()?;
            update::run(session, &args.profile, args.once)
        }
    }
}

fn main() -> ExitCode {
    // The TSS library logs TPM errors on stderr itself; the error this
    // command prints says it in one line. TSS2_LOG set by the user wins.
    #[cfg(feature = "tpm")]
    if std::env::var_os("TSS2_LOG").is_none() {
        // SAFETY: the first statement of main: no other thread exists yet
        // to read the environment concurrently.
        unsafe { std::env::set_var("TSS2_LOG", "all+NONE") };
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!("rolesanywhere: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolesanywhere: {}", e.message());
            ExitCode::from(e.exit_code())
        }
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}
