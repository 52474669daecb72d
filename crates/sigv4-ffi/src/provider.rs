//! Credentials providers and owned credentials.

use std::ffi::{CString, c_char};
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::args::{nonnull, opt_str_arg, str_arg};
use crate::status::{Fail, fail, guard, sigv4_status};
use crate::types::sigv4_credentials;

/// A credentials provider (cached: credentials are fetched again only
/// when they near expiry). Thread-safe.
pub struct sigv4_provider {
    inner: Arc<dyn cred_providers::ProvideCredentials>,
}

/// Credentials obtained from a provider; the secret and token are zeroised
/// when freed. Immutable, so thread-safe to read.
pub struct sigv4_owned_credentials {
    access_key_id: CString,
    secret_access_key: Zeroizing<Vec<u8>>,
    session_token: Option<Zeroizing<Vec<u8>>>,
    expiry: i64,
}

/// The default chain (environment, profile, web identity, container,
/// IMDS) as the AWS SDKs run it; `profile` (or NULL for `AWS_PROFILE` /
/// `default`) selects the profile. Free with `sigv4_provider_free`.
///
/// # Safety
/// `profile` is NULL or a NUL-terminated string; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_default(
    profile: *const c_char,
    out: *mut *mut sigv4_provider,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let profile = unsafe { opt_str_arg(profile, "profile") }?.map(str::to_string);
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let p = cred_providers::default_provider(profile);
        let boxed = Box::new(sigv4_provider { inner: Arc::new(p) });
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(boxed) };
        Ok(())
    })
}

/// The named profile only (static keys, `credential_process`, role chains,
/// web identity), from the shared config and credentials files. Free with
/// `sigv4_provider_free`.
///
/// # Safety
/// `profile` is a NUL-terminated string; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_profile(
    profile: *const c_char,
    out: *mut *mut sigv4_provider,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contract.
        let profile = unsafe { str_arg(profile, "profile") }?.to_string();
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let inner = cred_providers::ProfileProvider::new(
            Arc::new(cred_providers::ProcessEnv),
            Arc::new(cred_providers::RealFiles),
            Some(profile),
            Arc::new(cred_providers::transport::BlockingTransport::default()),
        );
        let cached = cred_providers::CachedProvider::new(Arc::new(inner));
        let boxed = Box::new(sigv4_provider {
            inner: Arc::new(cached),
        });
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(boxed) };
        Ok(())
    })
}

/// Frees a provider (NULL is ignored).
///
/// # Safety
/// `provider` came from this library and is not used afterwards.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_free(provider: *mut sigv4_provider) {
    if !provider.is_null() {
        // SAFETY: allocated by this library, freed once.
        drop(unsafe { Box::from_raw(provider) });
    }
}

/// Resolves credentials, blocking the calling thread (no async runtime is
/// started). Free the result with `sigv4_owned_credentials_free`.
///
/// # Safety
/// `provider` came from this library; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_provider_credentials(
    provider: *const sigv4_provider,
    out: *mut *mut sigv4_owned_credentials,
) -> sigv4_status {
    guard(|| {
        let p = nonnull(provider, "provider")?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let creds = cred_providers::provide_blocking(&*p.inner)
            .map_err(|e| Fail(sigv4_status::Credentials, e.to_string()))?;
        let nul = |s: &str| {
            let mut v = Zeroizing::new(Vec::with_capacity(s.len() + 1));
            v.extend_from_slice(s.as_bytes());
            v.push(0);
            v
        };
        let owned = sigv4_owned_credentials {
            access_key_id: CString::new(creds.access_key_id())
                .or_else(|_| fail(sigv4_status::Credentials, "the access key id holds a NUL"))?,
            secret_access_key: nul(creds.secret_access_key()),
            session_token: creds.session_token().map(nul),
            expiry: creds
                .expiry()
                .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                .map(|d: Duration| d.as_secs() as i64)
                .unwrap_or(-1),
        };
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = Box::into_raw(Box::new(owned)) };
        Ok(())
    })
}

/// A borrowed view of owned credentials, to pass to the signing
/// functions; valid until the credentials are freed. Returns
/// `SIGV4_STATUS_NULL_POINTER` if either pointer is NULL.
///
/// # Safety
/// `creds` came from `sigv4_provider_credentials`; `out` is valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_view(
    creds: *const sigv4_owned_credentials,
    out: *mut sigv4_credentials,
) -> sigv4_status {
    guard(|| {
        let c = nonnull(creds, "credentials")?;
        if out.is_null() {
            return fail(sigv4_status::NullPointer, "out is NULL");
        }
        let view = sigv4_credentials {
            access_key_id: c.access_key_id.as_ptr(),
            secret_access_key: c.secret_access_key.as_ptr().cast::<c_char>(),
            session_token: c
                .session_token
                .as_ref()
                .map(|t| t.as_ptr().cast::<c_char>())
                .unwrap_or(std::ptr::null()),
        };
        // SAFETY: non-NULL, valid per the contract.
        unsafe { *out = view };
        Ok(())
    })
}

/// The expiry in Unix seconds, or -1 for credentials that do not expire
/// (or a NULL handle).
///
/// # Safety
/// `creds` is NULL or came from `sigv4_provider_credentials`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_expiry(
    creds: *const sigv4_owned_credentials,
) -> i64 {
    // SAFETY: NULL or valid.
    unsafe { creds.as_ref() }.map(|c| c.expiry).unwrap_or(-1)
}

/// Frees credentials, zeroising the secret and token (NULL is ignored).
///
/// # Safety
/// `creds` came from `sigv4_provider_credentials` and is not used
/// afterwards (nor any view of it).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sigv4_owned_credentials_free(creds: *mut sigv4_owned_credentials) {
    if !creds.is_null() {
        // SAFETY: allocated by this library, freed once.
        drop(unsafe { Box::from_raw(creds) });
    }
}
