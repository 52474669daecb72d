//! A SoftHSM2 token (Debian's `softhsm2`, objects written with OpenSC's
//! `pkcs11-tool`) holding the RSA-2048, P-256 and P-384 keys of the test
//! PKI: for each, the private key, its public key and its certificate,
//! under one `CKA_ID` and label `app-NAME`. Made once per test process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::pki::pki;

/// The token's label.
pub const TOKEN: &str = "roles";
/// The user PIN.
pub const PIN: &str = "1234";

/// A made token.
#[derive(Debug)]
pub struct SoftHsm {
    /// The `SOFTHSM2_CONF` file to give every process that opens it.
    pub conf: PathBuf,
    /// SoftHSM2's PKCS#11 module.
    pub module: PathBuf,
}

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: {e} (softhsm2 and opensc are required)"));
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn module() -> PathBuf {
    for p in [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ] {
        if Path::new(p).exists() {
            return p.into();
        }
    }
    panic!("SoftHSM2's module libsofthsm2.so was not found (apt-get install softhsm2)");
}

/// The token (made on first use).
pub fn softhsm() -> &'static SoftHsm {
    static HSM: OnceLock<SoftHsm> = OnceLock::new();
    HSM.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("softhsm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        let module = module();
        run(
            Command::new("softhsm2-util")
                .env("SOFTHSM2_CONF", &conf)
                .args(["--init-token", "--free", "--label", TOKEN])
                .args(["--so-pin", "5678", "--pin", PIN]),
            "softhsm2-util --init-token",
        );
        let pki = pki();
        for (name, id) in [("rsa", "01"), ("p256", "02"), ("p384", "03")] {
            let der = |args: &[&str], out: &str| {
                run(
                    Command::new("openssl")
                        .args(args)
                        .arg("-outform")
                        .arg("DER")
                        .arg("-out")
                        .arg(dir.join(out)),
                    "openssl",
                );
                dir.join(out)
            };
            let key = pki.path(&format!("{name}.key"));
            let cert = pki.path(&format!("{name}.pem"));
            let objects = [
                (
                    der(
                        &["pkcs8", "-topk8", "-nocrypt", "-in", key.to_str().unwrap()],
                        &format!("{name}.key.der"),
                    ),
                    "privkey",
                ),
                (
                    der(
                        &["pkey", "-pubout", "-in", key.to_str().unwrap()],
                        &format!("{name}.pub.der"),
                    ),
                    "pubkey",
                ),
                (
                    der(
                        &["x509", "-in", cert.to_str().unwrap()],
                        &format!("{name}.crt.der"),
                    ),
                    "cert",
                ),
            ];
            for (file, kind) in objects {
                run(
                    Command::new("pkcs11-tool")
                        .env("SOFTHSM2_CONF", &conf)
                        .arg("--module")
                        .arg(&module)
                        .args(["--token-label", TOKEN, "--login", "--pin", PIN])
                        .arg("--write-object")
                        .arg(&file)
                        .args(["--type", kind, "--id", id, "--label"])
                        .arg(format!("app-{name}")),
                    "pkcs11-tool --write-object",
                );
            }
        }
        // The RSA key once more, with CKA_ALWAYS_AUTHENTICATE (a PIN for
        // every signature), as `app-always` (id 04), without a certificate.
        run(
            Command::new("pkcs11-tool")
                .env("SOFTHSM2_CONF", &conf)
                .arg("--module")
                .arg(&module)
                .args(["--token-label", TOKEN, "--login", "--pin", PIN])
                .arg("--write-object")
                .arg(dir.join("rsa.key.der"))
                .args([
                    "--type",
                    "privkey",
                    "--id",
                    "04",
                    "--label",
                    "app-always",
                    "--always-auth",
                ]),
            "pkcs11-tool --write-object --always-auth",
        );
        SoftHsm { conf, module }
    })
}

impl SoftHsm {
    /// A `pkcs11:` URI of object `app-NAME` on the token, with the PIN.
    pub fn uri(&self, name: &str) -> String {
        format!("pkcs11:token={TOKEN};object=app-{name}?pin-value={PIN}")
    }
}
