//! Vault's AWS `iam` login payload.

use std::ffi::c_char;
use std::time::{Duration, UNIX_EPOCH};

use zeroize::Zeroizing;

use crate::args::{creds_args, opt_str_arg, str_arg, write_parts};
use crate::status::{Fail, guard, sigv4_status};
use crate::types::sigv4_credentials;

/// Vault's AWS `iam` login payload (the JSON body of
/// `POST /v1/auth/aws/login`): a GetCallerIdentity request signed with
/// `creds` at `now_unix` for `role`. `sts_endpoint` may be NULL (the global
/// endpoint, region us-east-1); `server_id` may be NULL.
///
/// # Safety
/// As `sigv4_sign`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn sigv4_vault_login_payload(
    creds: *const sigv4_credentials,
    role: *const c_char,
    sts_endpoint: *const c_char,
    server_id: *const c_char,
    now_unix: u64,
    buf: *mut c_char,
    buf_len: usize,
    needed: *mut usize,
) -> sigv4_status {
    guard(|| {
        // SAFETY: forwarded contracts.
        let (c, role, endpoint, server_id) = unsafe {
            (
                creds_args(creds)?,
                str_arg(role, "role")?,
                opt_str_arg(sts_endpoint, "sts_endpoint")?,
                opt_str_arg(server_id, "server_id")?,
            )
        };
        let mut opts = cred_providers::vault::LoginOptions::new(role);
        if let Some(e) = endpoint {
            opts.sts_endpoint = e.to_string();
            opts.sts_region = cred_providers::vault::LoginOptions::region_of_endpoint(e);
        }
        opts.server_id = server_id.map(str::to_string);
        let owned = cred_providers::Credentials::builder(c.access_key_id, c.secret_access_key)
            .session_token(c.session_token.map(str::to_string))
            .provider("ffi")
            .build();
        let now = UNIX_EPOCH + Duration::from_secs(now_unix);
        let payload = cred_providers::vault::login_payload(&opts, &owned, now)
            .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?;
        let json = Zeroizing::new(
            serde_json::to_string(&payload)
                .map_err(|e| Fail(sigv4_status::InvalidArgument, e.to_string()))?,
        );
        // SAFETY: forwarded contract.
        unsafe { write_parts(&[json.as_str()], buf, buf_len, needed, &mut []) }?;
        Ok(())
    })
}
