//! Credentials: an access key pair, maybe a session token, an expiry.
//!
//! The secret and the token are zeroised when the last clone is dropped and
//! never shown by `Debug` (nor by any error of this crate). Clones share one
//! allocation, so handing credentials to every request is cheap.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use zeroize::Zeroizing;

struct Inner {
    access_key_id: String,
    secret_access_key: Zeroizing<String>,
    session_token: Option<Zeroizing<String>>,
    expiry: Option<SystemTime>,
    account_id: Option<String>,
    provider: &'static str,
}

/// AWS credentials, as a provider produced them.
///
/// # Examples
///
/// ```
/// use cred_providers::Credentials;
/// let c = Credentials::builder("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
///     .session_token("IQoJb3JpZ2luX2VjEXAMPLE".to_string())
///     .provider("static")
///     .build();
/// assert!(!format!("{c:?}").contains("wJalr"));
/// assert_eq!(c.signing().access_key_id, "AKIDEXAMPLE");
/// assert_eq!(c.session_token(), Some("IQoJb3JpZ2luX2VjEXAMPLE"));
/// ```
#[derive(Clone)]
pub struct Credentials(Arc<Inner>);

/// Builds [`Credentials`]; from [`Credentials::builder`].
pub struct CredentialsBuilder(Inner);

impl fmt::Debug for CredentialsBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CredentialsBuilder")
            .field("access_key_id", &self.0.access_key_id)
            .finish_non_exhaustive()
    }
}

impl CredentialsBuilder {
    /// The session token (a `String`, or an `Option` of one).
    pub fn session_token(mut self, token: impl Into<Option<String>>) -> Self {
        self.0.session_token = token.into().map(Zeroizing::new);
        self
    }

    /// When they expire (a `SystemTime`, or an `Option` of one).
    pub fn expiry(mut self, expiry: impl Into<Option<SystemTime>>) -> Self {
        self.0.expiry = expiry.into();
        self
    }

    /// The account they belong to.
    pub fn account_id(mut self, account_id: impl Into<String>) -> Self {
        self.0.account_id = Some(account_id.into());
        self
    }

    /// Where they came from (`"environment"`, `"profile"`, …; `"static"`
    /// unless set).
    pub fn provider(mut self, provider: &'static str) -> Self {
        self.0.provider = provider;
        self
    }

    /// The credentials.
    pub fn build(self) -> Credentials {
        Credentials(Arc::new(self.0))
    }
}

impl Credentials {
    /// A builder for credentials with these keys.
    pub fn builder(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> CredentialsBuilder {
        CredentialsBuilder(Inner {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: None,
            expiry: None,
            account_id: None,
            provider: "static",
        })
    }

    /// Credentials from their parts; `provider` names where they came from
    /// (`"environment"`, `"profile"`, …).
    #[deprecated(
        note = "five positional arguments, two of them Options: use Credentials::builder(id, secret).session_token(…).expiry(…).provider(…).build()"
    )]
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
        expiry: Option<SystemTime>,
        provider: &'static str,
    ) -> Self {
        Self(Arc::new(Inner {
            access_key_id: access_key_id.into(),
            secret_access_key: Zeroizing::new(secret_access_key.into()),
            session_token: session_token.map(Zeroizing::new),
            expiry,
            account_id: None,
            provider,
        }))
    }

    /// The same credentials with an account id.
    pub fn with_account_id(self, account_id: impl Into<String>) -> Self {
        let inner = &self.0;
        Self(Arc::new(Inner {
            access_key_id: inner.access_key_id.clone(),
            secret_access_key: inner.secret_access_key.clone(),
            session_token: inner.session_token.clone(),
            expiry: inner.expiry,
            account_id: Some(account_id.into()),
            provider: inner.provider,
        }))
    }

    /// The access key id.
    pub fn access_key_id(&self) -> &str {
        &self.0.access_key_id
    }

    /// The secret access key. Handle with care: never log it.
    pub fn secret_access_key(&self) -> &str {
        &self.0.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.0.session_token.as_deref().map(String::as_str)
    }

    /// When they expire, if they do.
    pub fn expiry(&self) -> Option<SystemTime> {
        self.0.expiry
    }

    /// The account they belong to, when the provider said.
    pub fn account_id(&self) -> Option<&str> {
        self.0.account_id.as_deref()
    }

    /// The provider that produced them.
    pub fn provider(&self) -> &'static str {
        self.0.provider
    }

    /// A borrowed view for signing with `sigv4-core`.
    pub fn signing(&self) -> sigv4_core::CredentialsRef<'_> {
        let c = sigv4_core::CredentialsRef::new(self.access_key_id(), self.secret_access_key());
        match self.session_token() {
            Some(t) => c.with_session_token(t),
            None => c,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.0.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field(
                "session_token",
                &self.0.session_token.as_ref().map(|_| "** redacted **"),
            )
            .field("expiry", &self.0.expiry)
            .field("account_id", &self.0.account_id)
            .field("provider", &self.0.provider)
            .finish()
    }
}

/// Equality compares the secret and the session token in constant time
/// (time that depends on their lengths only), so that comparing held
/// credentials with others tells nothing about the secret.
impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        use subtle::ConstantTimeEq;
        let secret = self
            .secret_access_key()
            .as_bytes()
            .ct_eq(other.secret_access_key().as_bytes());
        let token = match (self.session_token(), other.session_token()) {
            (Some(a), Some(b)) => a.as_bytes().ct_eq(b.as_bytes()),
            (None, None) => subtle::Choice::from(1),
            _ => subtle::Choice::from(0),
        };
        let public = self.access_key_id() == other.access_key_id()
            && self.expiry() == other.expiry()
            && self.account_id() == other.account_id();
        bool::from(secret & token) && public
    }
}

impl Eq for Credentials {}
