//! A software TPM 2.0 (Debian's `swtpm`, run by `swtpm.py` on loopback)
//! holding keys made the way users make them, with certificates from the
//! test PKI's intermediate CA:
//!
//! * `TSS2 PRIVATE KEY` files from tpm2-openssl (`openssl genpkey
//!   -provider tpm2`) under the owner hierarchy: `tpm-rsa` (RSA-2048),
//!   `tpm-p256`, `tpm-p384`, `tpm-p256-pw` (password [`KEY_PASSWORD`]),
//!   and `tpm-p256-parent` under a persistent RSA primary key at
//!   [`PARENT_HANDLE`], as the helper's own tests make one;
//! * persistent keys from tpm2-tools (`tpm2_create`, `tpm2_evictcontrol`):
//!   [`HANDLE`] (P-256, no password) and [`HANDLE_PW`] (RSA-2048,
//!   password [`KEY_PASSWORD`]), certificates `tpm-handle` and
//!   `tpm-handle-pw`;
//! * `tpm-decrypt`: an RSA key file without the sign attribute.
//!
//! Each is `NAME.key` (or nothing, for handles) and `NAME.pem` in the PKI
//! directory. Made once per test process; the TPM stops when it exits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;

use crate::pki::pki;

/// The password of the keys that have one.
pub const KEY_PASSWORD: &str = "tpm key pw";
/// The persistent P-256 key without a password.
pub const HANDLE: &str = "handle:0x81000101";
/// The persistent RSA key with a password.
pub const HANDLE_PW: &str = "handle:0x81000102";
/// The persistent primary key `tpm-p256-parent` is created under.
pub const PARENT_HANDLE: &str = "0x81000001";

/// The running TPM.
#[derive(Debug)]
pub struct Swtpm {
    /// The TSS configuration that reaches it (`swtpm:host=127.0.0.1,port=…`),
    /// for `TPM2TOOLS_TCTI`.
    pub tcti: String,
    /// A Unix socket forwarded to it, for `aws_signing_helper`'s
    /// `TPM_DEVICE` (go-tpm opens device nodes and Unix sockets only).
    pub socket: PathBuf,
    /// The control channel (`swtpm_ioctl --tcp`), `127.0.0.1:PORT`.
    pub ctrl: String,
    _child: Child,
}

impl Swtpm {
    /// A file of the PKI (keys and certificates).
    pub fn path(&self, name: &str) -> PathBuf {
        pki().path(name)
    }

    /// A command run against this TPM (tpm2-tools, tpm2-openssl).
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.env("TPM2TOOLS_TCTI", &self.tcti)
            .env("TPM2OPENSSL_TCTI", &self.tcti)
            .env("TSS2_LOG", "all+NONE")
            .current_dir(&pki().dir);
        c
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self
            .command(program)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!("{program}: {e} (swtpm, tpm2-tools and tpm2-openssl are required)")
            });
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Without a resource manager, tpm2-tools leave objects loaded.
        if program.starts_with("tpm2_") {
            let _ = self
                .command("tpm2_flushcontext")
                .arg("--transient-object")
                .output();
        }
    }

    /// Reboots the TPM (power cycle and TPM2_Startup): every transient
    /// object and session is gone, the persistent ones stay.
    pub fn reboot(&self) {
        let out = Command::new("swtpm_ioctl")
            .args(["--tcp", &self.ctrl, "-i"])
            .output()
            .expect("swtpm_ioctl (swtpm-tools)");
        assert!(out.status.success(), "{out:?}");
        self.run("tpm2_startup", &["--clear"]);
    }

    /// A key file from tpm2-openssl and its certificate.
    fn key_file(&self, name: &str, genpkey: &[&str]) {
        let key = format!("{name}.key");
        let mut args = vec!["genpkey", "-provider", "tpm2", "-provider", "default"];
        args.extend_from_slice(genpkey);
        args.extend_from_slice(&["-out", &key]);
        self.run("openssl", &args);
        let pass = genpkey
            .iter()
            .any(|a| a.starts_with("user-auth:"))
            .then(|| format!("pass:{KEY_PASSWORD}"));
        self.certify(name, &key, pass.as_deref());
    }

    /// A certificate for `key` (a file or a tpm2-openssl `handle:` URI),
    /// signed by the PKI's intermediate: the CSR is signed in the TPM.
    fn certify(&self, name: &str, key: &str, pass: Option<&str>) {
        let subj = format!("/C=US/O=Example Corp/OU=Workloads/CN={name}");
        let csr = format!("{name}.csr");
        let mut args = vec![
            "req",
            "-provider",
            "tpm2",
            "-provider",
            "default",
            "-new",
            "-key",
            key,
            "-subj",
            &subj,
            "-out",
            &csr,
        ];
        if let Some(p) = pass {
            args.extend_from_slice(&["-passin", p]);
        }
        self.run("openssl", &args);
        crate::sign_csr(
            &pki().dir,
            name,
            "intermediate",
            &crate::pki::LEAF_EXT.replace("{name}", name),
            2,
        );
    }
}

/// The TPM with its keys (made on first use).
pub fn swtpm() -> &'static Swtpm {
    static TPM: OnceLock<Swtpm> = OnceLock::new();
    TPM.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("swtpm-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (child, line) = crate::spawn_python(
            "swtpm.py",
            |c| {
                c.arg(&dir);
            },
            "swtpm, the software TPM",
        );
        let (port, socket) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("swtpm.py did not start the TPM: {line:?}"));
        let port: u16 = port.parse().expect("a port");
        let tpm = Swtpm {
            tcti: format!("swtpm:host=127.0.0.1,port={port}"),
            socket: PathBuf::from(socket),
            ctrl: format!("127.0.0.1:{}", port + 1),
            _child: child,
        };
        // Refused passwords must not lock the tests out (the helper's
        // tests do the same).
        tpm.run(
            "tpm2_dictionarylockout",
            &["--setup-parameters", "--recovery-time=0"],
        );
        tpm.key_file("tpm-rsa", &["-algorithm", "RSA", "-pkeyopt", "bits:2048"]);
        tpm.key_file("tpm-p256", &["-algorithm", "EC", "-pkeyopt", "group:P-256"]);
        tpm.key_file("tpm-p384", &["-algorithm", "EC", "-pkeyopt", "group:P-384"]);
        let user_auth = format!("user-auth:{KEY_PASSWORD}");
        tpm.key_file(
            "tpm-p256-pw",
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "group:P-256",
                "-pkeyopt",
                &user_auth,
            ],
        );
        // A persistent RSA primary key as the parent of a key file.
        tpm.run(
            "tpm2_createprimary",
            &["-C", "o", "-G", "rsa", "-c", "parent.ctx"],
        );
        tpm.run("tpm2_evictcontrol", &["-c", "parent.ctx", PARENT_HANDLE]);
        let parent = format!("parent:{PARENT_HANDLE}");
        tpm.key_file(
            "tpm-p256-parent",
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "group:P-256",
                "-pkeyopt",
                &parent,
            ],
        );
        // Persistent keys made with tpm2-tools.
        tpm.run("tpm2_createprimary", &["-C", "o", "-c", "primary.ctx"]);
        for (handle, alg, password) in [
            (HANDLE, "ecc256", None),
            (HANDLE_PW, "rsa2048", Some(KEY_PASSWORD)),
        ] {
            let hex = handle.trim_start_matches("handle:");
            let mut create = vec![
                "-C",
                "primary.ctx",
                "-G",
                alg,
                "-u",
                "child.pub",
                "-r",
                "child.priv",
            ];
            if let Some(p) = password {
                create.extend_from_slice(&["-p", p]);
            }
            tpm.run("tpm2_create", &create);
            tpm.run(
                "tpm2_load",
                &[
                    "-C",
                    "primary.ctx",
                    "-u",
                    "child.pub",
                    "-r",
                    "child.priv",
                    "-c",
                    "child.ctx",
                ],
            );
            tpm.run("tpm2_evictcontrol", &["-c", "child.ctx", hex]);
            let name = if password.is_some() {
                "tpm-handle-pw"
            } else {
                "tpm-handle"
            };
            let key = format!(
                "handle:{hex}{}",
                if password.is_some() { "?pass" } else { "" }
            );
            let pass = password.map(|p| format!("pass:{p}"));
            tpm.certify(name, &key, pass.as_deref());
        }
        // An RSA key that can decrypt but not sign.
        tpm.run(
            "tpm2_create",
            &[
                "-C",
                "primary.ctx",
                "-G",
                "rsa2048",
                "-a",
                "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt",
                "-u",
                "decrypt.pub",
                "-r",
                "decrypt.priv",
            ],
        );
        tpm.run(
            "tpm2_encodeobject",
            &[
                "-C",
                "primary.ctx",
                "-u",
                "decrypt.pub",
                "-r",
                "decrypt.priv",
                "-o",
                "tpm-decrypt.key",
            ],
        );
        assert!(Path::new(&pki().path("tpm-decrypt.key")).exists());
        tpm
    })
}
