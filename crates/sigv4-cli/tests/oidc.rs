//! `sigv4 oidc` as a script sees it. Keys are made with `openssl`, tokens
//! signed with Python's `cryptography`, the expected key ids and key
//! parameters computed by `openssl` and `cryptography` (never by the code
//! under test), and the trust policy checked by moto's IAM trust-policy
//! validator.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

const ISSUER: &str = "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE";
/// 2026-01-01T00:00:00Z.
const T: u64 = 1_767_225_600;

fn sigv4(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sigv4"))
        .args(args)
        .env_clear()
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok_json(out: &Output) -> Value {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_eq!(text.lines().count(), 1, "one object: {text}");
    serde_json::from_str(&text).unwrap()
}

/// Exit status `code`, nothing on stdout, one line on stderr.
fn refused(out: &Output, code: i32) -> String {
    assert_eq!(out.status.code(), Some(code), "{out:?}");
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr.clone()).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    err
}

fn run(cmd: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(cmd).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

struct Dir(PathBuf);

impl Dir {
    fn new(tag: &str) -> Self {
        let d = std::env::temp_dir().join(format!("sigv4-oidc-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        Self(d)
    }
    fn p(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A private key and its public PEM, made by openssl.
fn key(dir: &Dir, name: &str, genpkey: &[&str]) -> (String, String) {
    let private = dir.p(&format!("{name}.key"));
    let public = dir.p(&format!("{name}.pub"));
    let mut args = vec!["genpkey"];
    args.extend_from_slice(genpkey);
    args.extend_from_slice(&["-out", &private]);
    run("openssl", &args);
    run(
        "openssl",
        &["pkey", "-in", &private, "-pubout", "-out", &public],
    );
    (private, public)
}

/// The key id as openssl computes it: SHA-256 of the DER public key.
fn openssl_kid(public: &str) -> String {
    let der = run(
        "openssl",
        &["pkey", "-pubin", "-in", public, "-outform", "DER"],
    );
    let dir = Path::new(public).with_extension("der");
    std::fs::write(&dir, der).unwrap();
    let digest = run(
        "openssl",
        &["dgst", "-sha256", "-binary", dir.to_str().unwrap()],
    );
    URL_SAFE_NO_PAD.encode(digest)
}

const PY: &str = r#"
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def num(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return b64(n.to_bytes(size, "big"))
cmd = sys.argv[1]
if cmd == "params":
    k = serialization.load_pem_public_key(open(sys.argv[2], "rb").read())
    if isinstance(k, rsa.RSAPublicKey):
        n = k.public_numbers()
        print(json.dumps({"n": num(n.n), "e": num(n.e)}))
    else:
        size = (k.curve.key_size + 7) // 8
        n = k.public_numbers()
        print(json.dumps({"x": num(n.x, size), "y": num(n.y, size)}))
elif cmd == "sign":
    key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
    header = json.loads(sys.argv[3]); claims = json.loads(sys.argv[4])
    data = (b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())).encode()
    if header["alg"] == "RS256":
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    else:
        h = hashes.SHA256() if header["alg"] == "ES256" else hashes.SHA384()
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(h)))
        size = (key.curve.key_size + 7) // 8
        sig = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    print(data.decode() + "." + b64(sig))
elif cmd == "validate":
    from moto.iam.policy_validation import IAMTrustPolicyDocumentValidator
    IAMTrustPolicyDocumentValidator(open(sys.argv[2]).read()).validate()
    print("valid")
"#;

fn py(args: &[&str]) -> Output {
    Command::new("python3")
        .arg("-c")
        .arg(PY)
        .args(args)
        .output()
        .unwrap()
}

fn py_ok(args: &[&str]) -> String {
    let out = py(args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn keys_discovery_trust_policy_and_token_checks() {
    let dir = Dir::new("all");
    let (rsa_key, rsa_pub) = key(
        &dir,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let (p256_key, p256_pub) = key(
        &dir,
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let (p384_key, p384_pub) = key(
        &dir,
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    );

    // The key set: kid, algorithm and parameters as openssl and
    // cryptography compute them.
    let set = ok_json(&sigv4(&[
        "oidc",
        "keys",
        "--public-key",
        &rsa_pub,
        "--public-key",
        &p256_pub,
        "--public-key",
        &p384_pub,
    ]));
    let keys = set["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 3);
    for (k, public, kty, alg) in [
        (&keys[0], &rsa_pub, "RSA", "RS256"),
        (&keys[1], &p256_pub, "EC", "ES256"),
        (&keys[2], &p384_pub, "EC", "ES384"),
    ] {
        assert_eq!(k["kid"], openssl_kid(public), "{public}");
        assert_eq!(
            (k["kty"].as_str(), k["alg"].as_str(), k["use"].as_str()),
            (Some(kty), Some(alg), Some("sig"))
        );
        let params: Value = serde_json::from_str(&py_ok(&["params", public])).unwrap();
        for (name, value) in params.as_object().unwrap() {
            assert_eq!(&k[name], value, "{public} {name}");
        }
    }
    assert_eq!(keys[1]["crv"], "P-256");
    assert_eq!(keys[2]["crv"], "P-384");
    let jwks = dir.p("keys.json");
    std::fs::write(&jwks, set.to_string()).unwrap();

    // Not a public key: unusable input.
    refused(&sigv4(&["oidc", "keys", "--public-key", &rsa_key]), 2);
    refused(
        &sigv4(&["oidc", "keys", "--public-key", &dir.p("missing.pub")]),
        2,
    );

    // Discovery.
    let doc = ok_json(&sigv4(&["oidc", "discovery", "--issuer", ISSUER]));
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["jwks_uri"], format!("{ISSUER}/keys.json"));
    assert!(
        doc["id_token_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&"RS256".into())
    );
    for field in [
        "response_types_supported",
        "subject_types_supported",
        "claims_supported",
    ] {
        assert!(doc[field].is_array(), "{field}");
    }
    refused(
        &sigv4(&["oidc", "discovery", "--issuer", "http://plain"]),
        2,
    );

    // The trust policy, accepted by moto's validator (which refuses a
    // broken one, so it does check).
    let host = ISSUER.trim_start_matches("https://");
    let provider = format!("arn:aws:iam::123456789012:oidc-provider/{host}");
    let policy = ok_json(&sigv4(&[
        "oidc",
        "trust-policy",
        "--provider-arn",
        &provider,
        "--service-account",
        "payments:api",
    ]));
    let st = &policy["Statement"][0];
    assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
    assert_eq!(st["Principal"]["Federated"], provider);
    assert_eq!(
        st["Condition"]["StringEquals"][format!("{host}:sub")],
        "system:serviceaccount:payments:api"
    );
    assert_eq!(
        st["Condition"]["StringEquals"][format!("{host}:aud")],
        "sts.amazonaws.com"
    );
    let file = dir.p("policy.json");
    std::fs::write(&file, policy.to_string()).unwrap();
    assert_eq!(py_ok(&["validate", &file]), "valid");
    let broken = policy.to_string().replace("\"Allow\"", "\"Allowed\"");
    std::fs::write(&file, broken).unwrap();
    assert!(
        !py(&["validate", &file]).status.success(),
        "the validator validates"
    );
    let aud = ok_json(&sigv4(&[
        "oidc",
        "trust-policy",
        "--provider-arn",
        &provider,
        "--service-account",
        "payments:api",
        "--audience",
        "vault",
    ]));
    assert_eq!(
        aud["Statement"][0]["Condition"]["StringEquals"][format!("{host}:aud")],
        "vault"
    );
    refused(
        &sigv4(&[
            "oidc",
            "trust-policy",
            "--provider-arn",
            "arn:aws:iam::1:role/x",
            "--service-account",
            "a:b",
        ]),
        2,
    );
    refused(
        &sigv4(&[
            "oidc",
            "trust-policy",
            "--provider-arn",
            &provider,
            "--service-account",
            "nocolon",
        ]),
        2,
    );

    // Tokens: valid ones with each algorithm, then one failure per check.
    let claims = |iss: &str, aud: &str, exp: u64, nbf: u64| {
        serde_json::json!({"iss": iss, "sub": "system:serviceaccount:payments:api", "aud": [aud], "exp": exp, "nbf": nbf, "iat": nbf}).to_string()
    };
    let good = claims(ISSUER, "sts.amazonaws.com", T + 3600, T - 60);
    let now = "20260101T000000Z";
    let check = |token: &str, extra: &[&str]| {
        let file = dir.p("token");
        std::fs::write(&file, format!("{token}\n")).unwrap();
        let mut args = vec![
            "oidc",
            "check-token",
            "--jwks",
            &jwks,
            "--issuer",
            ISSUER,
            "--audience",
            "sts.amazonaws.com",
            "--now",
            now,
        ];
        args.extend_from_slice(extra);
        args.push(&file);
        sigv4(&args)
    };
    for (private, alg, i) in [
        (&rsa_key, "RS256", 0),
        (&p256_key, "ES256", 1),
        (&p384_key, "ES384", 2),
    ] {
        let header = serde_json::json!({"alg": alg, "kid": keys[i]["kid"]}).to_string();
        let token = py_ok(&["sign", private, &header, &good]);
        let v = ok_json(&check(&token, &[]));
        assert_eq!(v["valid"], true, "{alg}");
        assert_eq!(v["sub"], "system:serviceaccount:payments:api");
    }
    let rsa_header = serde_json::json!({"alg": "RS256", "kid": keys[0]["kid"]}).to_string();
    let token = |c: &str| py_ok(&["sign", &rsa_key, &rsa_header, c]);
    let failing = |t: &str, extra: &[&str], check_name: &str| {
        let err = refused(&check(t, extra), 1);
        assert!(
            err.starts_with(&format!("sigv4: invalid token: {check_name}:")),
            "{err}"
        );
        err
    };
    // A changed payload, a key of another issuer, an unknown kid.
    let t = token(&good);
    let parts: Vec<&str> = t.split('.').collect();
    let other = URL_SAFE_NO_PAD.encode(claims(ISSUER, "sts.amazonaws.com", T + 99_999, T - 60));
    failing(
        &format!("{}.{other}.{}", parts[0], parts[2]),
        &[],
        "signature",
    );
    let wrong_key = py_ok(&[
        "sign",
        &p256_key,
        &rsa_header.replace("RS256", "ES256"),
        &good,
    ]);
    failing(&wrong_key, &[], "signature");
    let unknown = py_ok(&[
        "sign",
        &rsa_key,
        &serde_json::json!({"alg": "RS256", "kid": "nope"}).to_string(),
        &good,
    ]);
    failing(&unknown, &[], "signature");
    failing(
        &token(&claims(
            "https://other.example",
            "sts.amazonaws.com",
            T + 3600,
            T - 60,
        )),
        &[],
        "iss",
    );
    failing(
        &token(&claims(ISSUER, "vault", T + 3600, T - 60)),
        &[],
        "aud",
    );
    let err = failing(
        &token(&claims(ISSUER, "sts.amazonaws.com", T - 120, T - 7200)),
        &[],
        "exp",
    );
    assert!(err.contains("60s clock skew"), "the skew is named: {err}");
    // Within the skew it passes; a larger skew is a flag.
    ok_json(&check(
        &token(&claims(ISSUER, "sts.amazonaws.com", T - 30, T - 7200)),
        &[],
    ));
    ok_json(&check(
        &token(&claims(ISSUER, "sts.amazonaws.com", T - 120, T - 7200)),
        &["--leeway", "300"],
    ));
    failing(
        &token(&claims(ISSUER, "sts.amazonaws.com", T + 7200, T + 600)),
        &[],
        "nbf",
    );
    // Unusable input: a file that holds no token, a key set that is not one.
    refused(&check("not-a-token", &[]), 2);
    refused(
        &sigv4(&[
            "oidc",
            "check-token",
            "--jwks",
            &dir.p("none.json"),
            "--issuer",
            ISSUER,
            &dir.p("token"),
        ]),
        2,
    );
}
