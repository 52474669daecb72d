//! A PKI made with the `openssl` command the way a user makes one: a root
//! CA, an intermediate CA, and leaves with RSA-2048, EC P-256 and EC P-384
//! keys (key, CSR, then signed by the intermediate), each key also written
//! in the other forms users hold (PKCS#1 / SEC1, DER, encrypted PKCS#8 with
//! PBKDF2 and scrypt, a PKCS#12 bundle). Also an unrelated root with its
//! own leaf, an expired leaf, and ML-DSA-44/65/87 leaves and an ML-DSA CA
//! (`mldsa_pki.py`). Made once per test process.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::openssl;

/// The passphrase of every encrypted key and bundle.
pub const PASSWORD: &str = "correct horse";

/// Where the files are.
#[derive(Debug)]
pub struct Pki {
    /// The directory.
    pub dir: PathBuf,
}

impl Pki {
    /// A file of the PKI.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

const CA_EXT: &str = "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n";
pub(crate) const LEAF_EXT: &str = "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\nsubjectAltName=DNS:{name}.workloads.example.com,URI:spiffe://example.com/{name},DNS:second.example.com\n";

fn leaf(dir: &Path, name: &str, keygen: &[&str], ca: &str) {
    let key = format!("{name}.key");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(keygen);
    args.extend_from_slice(&["-out", &key]);
    openssl(dir, &args);
    let subj = format!("/C=US/ST=Washington/L=Seattle/O=Example Corp/OU=Workloads/CN={name}");
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            &key,
            "-subj",
            &subj,
            "-out",
            &format!("{name}.csr"),
        ],
    );
    crate::sign_csr(dir, name, ca, &LEAF_EXT.replace("{name}", name), 2);
}

fn ca(dir: &Path, name: &str, cn: &str, issuer: Option<&str>) {
    let key = format!("{name}.key");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &key,
        ],
    );
    let subj = format!("/O=Example Corp/OU=PKI/CN={cn}");
    match issuer {
        None => openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &key,
                "-subj",
                &subj,
                "-days",
                "3",
                "-sha256",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
                "-out",
                &format!("{name}.pem"),
            ],
        ),
        Some(issuer) => {
            openssl(
                dir,
                &[
                    "req",
                    "-new",
                    "-key",
                    &key,
                    "-subj",
                    &subj,
                    "-out",
                    &format!("{name}.csr"),
                ],
            );
            crate::sign_csr(dir, name, issuer, CA_EXT, 3);
        }
    }
}

fn expired_leaf(dir: &Path) {
    // `openssl ca` can set dates in the past.
    std::fs::write(dir.join("index.txt"), "").unwrap();
    std::fs::write(dir.join("serial"), "1000\n").unwrap();
    std::fs::write(
        dir.join("ca.cnf"),
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\nserial=serial\nnew_certs_dir=.\ndefault_md=sha256\npolicy=p\ncopy_extensions=none\n[p]\ncommonName=supplied\n[ext]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "expired.key",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-key",
            "expired.key",
            "-subj",
            "/CN=expired",
            "-out",
            "expired.csr",
        ],
    );
    openssl(
        dir,
        &[
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-in",
            "expired.csr",
            "-cert",
            "intermediate.pem",
            "-keyfile",
            "intermediate.key",
            "-startdate",
            "20200101000000Z",
            "-enddate",
            "20200201000000Z",
            "-extensions",
            "ext",
            "-notext",
            "-out",
            "expired.pem",
        ],
    );
}

/// The PKI (made on first use).
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("ra-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let d = dir.as_path();
        ca(d, "root", "Example Root CA", None);
        ca(d, "intermediate", "Example Issuing CA", Some("root"));
        leaf(
            d,
            "rsa",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            "intermediate",
        );
        leaf(
            d,
            "p256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "intermediate",
        );
        leaf(
            d,
            "p384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "intermediate",
        );
        let pass = format!("pass:{PASSWORD}");
        for name in ["rsa", "p256", "p384"] {
            let key = format!("{name}.key");
            // The traditional forms: PKCS#1 for RSA, SEC1 for EC.
            let trad = if name == "rsa" { "rsa" } else { "ec" };
            // `openssl rsa` needs -traditional for PKCS#1; `openssl ec`
            // writes SEC1 by default.
            let mut args = vec![trad, "-in", key.as_str()];
            if trad == "rsa" {
                args.push("-traditional");
            }
            let out = format!("{name}.trad.pem");
            args.extend_from_slice(&["-out", &out]);
            openssl(d, &args);
            openssl(
                d,
                &[
                    trad,
                    "-in",
                    &key,
                    "-outform",
                    "DER",
                    "-out",
                    &format!("{name}.trad.der"),
                ],
            );
            openssl(
                d,
                &[
                    "pkcs8",
                    "-topk8",
                    "-nocrypt",
                    "-in",
                    &key,
                    "-outform",
                    "DER",
                    "-out",
                    &format!("{name}.pk8.der"),
                ],
            );
            openssl(
                d,
                &[
                    "pkcs8",
                    "-topk8",
                    "-v2",
                    "aes-256-cbc",
                    "-v2prf",
                    "hmacWithSHA256",
                    "-in",
                    &key,
                    "-passout",
                    &pass,
                    "-out",
                    &format!("{name}.enc.pem"),
                ],
            );
            openssl(
                d,
                &[
                    "pkcs8",
                    "-topk8",
                    "-scrypt",
                    "-in",
                    &key,
                    "-passout",
                    &pass,
                    "-out",
                    &format!("{name}.scrypt.pem"),
                ],
            );
            openssl(
                d,
                &[
                    "pkcs12",
                    "-export",
                    "-inkey",
                    &key,
                    "-in",
                    &format!("{name}.pem"),
                    "-certfile",
                    "intermediate.pem",
                    "-passout",
                    &pass,
                    "-out",
                    &format!("{name}.p12"),
                ],
            );
            openssl(
                d,
                &[
                    "x509",
                    "-in",
                    &format!("{name}.pem"),
                    "-outform",
                    "DER",
                    "-out",
                    &format!("{name}.der"),
                ],
            );
        }
        // openssl ecparam -genkey: EC PARAMETERS before EC PRIVATE KEY.
        openssl(
            d,
            &[
                "ecparam",
                "-name",
                "prime256v1",
                "-genkey",
                "-out",
                "p256.ecparam.pem",
            ],
        );
        // A key that belongs to no certificate here.
        openssl(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                "other.key",
            ],
        );
        // An unrelated CA and its leaf: not under the trust anchor.
        ca(d, "rogue-root", "Rogue Root CA", None);
        leaf(
            d,
            "rogue",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            "rogue-root",
        );
        expired_leaf(d);
        // ML-DSA leaves (and an ML-DSA CA): Python's cryptography, as the
        // openssl command here (3.0) cannot make them.
        let out = std::process::Command::new("python3")
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("mldsa_pki.py"))
            .arg(d)
            .arg(PASSWORD)
            .output()
            .expect("python3 is needed for the ML-DSA certificates");
        assert!(
            out.status.success(),
            "mldsa_pki.py failed (cryptography >= 48 with ML-DSA is needed): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Pki { dir }
    })
}
