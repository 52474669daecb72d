//! Roles Anywhere as a `cred-providers` provider, for services that want
//! the credentials in-process (wrap it in a `CachedProvider`, or put it in
//! a `DefaultChain`).

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use cred_providers::transport::Transport;
use cred_providers::{
    Cause, Clock, Credentials, CredentialsError, ProvideCredentials, ProvideFuture, SystemClock,
};
use sigv4_core::{SignatureAlgorithm, Timestamp};

use crate::Error;
use crate::cert::{ChainCertificate, EndEntity};
use crate::identity::Identity;
use crate::session::{SessionParams, create_session_request, parse_response};

const NAME: &str = "rolesanywhere";

/// Calls CreateSession with a certificate and a signer.
pub struct RolesAnywhereProvider {
    certificate: EndEntity,
    chain: Vec<ChainCertificate>,
    signer: Mutex<Box<dyn SignatureAlgorithm + Send>>,
    /// The X.509 signer's reason for a failed signature.
    failure: Option<crate::signer::FailureSlot>,
    params: SessionParams,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for RolesAnywhereProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RolesAnywhereProvider")
            .field("serial", &self.certificate.serial_decimal())
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl RolesAnywhereProvider {
    /// A provider for a loaded identity.
    pub fn new(identity: Identity, params: SessionParams, transport: Arc<dyn Transport>) -> Self {
        let failure = identity.signer.failure_slot();
        let mut p = Self::with_signer(
            identity.certificate,
            identity.chain,
            Box::new(identity.signer),
            params,
            transport,
        );
        p.failure = Some(failure);
        p
    }

    /// A provider whose key lives elsewhere (a hardware token, a platform
    /// store): any [`SignatureAlgorithm`] with the X.509 algorithm name and
    /// the certificate's decimal serial as its credential id.
    pub fn with_signer(
        certificate: EndEntity,
        chain: Vec<ChainCertificate>,
        signer: Box<dyn SignatureAlgorithm + Send>,
        params: SessionParams,
        transport: Arc<dyn Transport>,
    ) -> Self {
        Self {
            certificate,
            chain,
            signer: Mutex::new(signer),
            failure: None,
            params,
            transport,
            clock: Arc::new(SystemClock),
        }
    }

    /// The same provider reading the time from `clock` (the system clock
    /// by default).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The session parameters.
    pub fn params(&self) -> &SessionParams {
        &self.params
    }

    /// The signed CreateSession request for `now`; `trace` receives the
    /// canonical request and string to sign.
    pub fn request(
        &self,
        now: SystemTime,
        trace: Option<sigv4_core::Trace<'_>>,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        self.certificate.check_validity(now)?;
        let secs = now
            .duration_since(UNIX_EPOCH)
            .map_err(|_| Error::InvalidParameter("the clock is before 1970".into()))?
            .as_secs();
        let time = Timestamp::from_unix_seconds(secs)
            .map_err(|e| Error::InvalidParameter(format!("unusable time: {e}")))?;
        let mut signer = match self.signer.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        create_session_request(
            &self.params,
            &self.certificate,
            &self.chain,
            &mut **signer,
            time,
            trace,
        )
        .map_err(
            |e| match (&e, self.failure.as_ref().and_then(|f| f.take())) {
                // The key's own words beat sigv4-core's fixed text.
                (Error::Sign(_), Some(reason)) => reason,
                _ => e,
            },
        )
    }

    /// Sends a CreateSession `request` (from [`request`](Self::request))
    /// and reads the credentials from its answer.
    pub async fn exchange(&self, request: http::Request<Vec<u8>>) -> Result<Credentials, Error> {
        let response = self.transport.send(request).await?;
        parse_response(&response)
    }

    /// Calls CreateSession at `now`; `trace` receives the canonical
    /// request and string to sign (the request is built before the
    /// returned future first runs).
    pub fn create_session_at(
        &self,
        now: SystemTime,
        trace: Option<sigv4_core::Trace<'_>>,
    ) -> impl std::future::Future<Output = Result<Credentials, Error>> + Send + '_ {
        let request = self.request(now, trace);
        async move { self.exchange(request?).await }
    }

    /// Calls CreateSession now (by the provider's clock).
    pub async fn create_session(&self) -> Result<Credentials, Error> {
        self.create_session_at(self.clock.now(), None).await
    }
}

impl ProvideCredentials for RolesAnywhereProvider {
    fn provide_credentials(&self) -> ProvideFuture<'_> {
        Box::pin(async move {
            self.create_session().await.map_err(|e| {
                let message = e.to_string();
                let error = if e.is_configuration() {
                    CredentialsError::invalid_configuration(NAME, message)
                } else {
                    CredentialsError::failed(NAME, message)
                };
                error.with_cause(Cause::Other(Arc::new(e)))
            })
        })
    }
}
