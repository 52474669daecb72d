//! A moto server for the tests of one test binary, started once, with IAM
//! enforcement: the first few actions (the setup below) go through without
//! authentication, every later one must be signed correctly and allowed.

use std::net::{TcpListener, TcpStream};
use std::process::Child;
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use cred_providers::{BlockingTransport, Credentials};
use sigv4_core::{Payload, Signer, SigningParams, Timestamp};

/// What the setup created.
pub struct Moto {
    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// The IAM user `alice`'s access key (allowed everything).
    pub user: Credentials,
    /// The role `reader`, which anyone may assume and which may do anything.
    pub role_arn: String,
    _child: Child,
}

/// Number of unauthenticated setup actions.
const SETUP_ACTIONS: usize = 5;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A raw IAM call during the unauthenticated setup phase.
fn iam(url: &str, body: &str) -> String {
    let mut req = http::Request::post(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes().to_vec())
        .unwrap();
    let creds = Credentials::builder("AKIDSETUP", "setup")
        .provider("test")
        .build();
    let params = SigningParams::new("us-east-1", "iam", Timestamp::from(SystemTime::now()));
    let b = body.as_bytes().to_vec();
    sigv4_core::http_sign::sign(
        &mut Signer::new(),
        &mut req,
        Payload::Bytes(&b),
        &creds.signing(),
        &params,
    )
    .unwrap();
    let resp = BlockingTransport::default().send_blocking(req).unwrap();
    let text = String::from_utf8(resp.body().clone()).unwrap();
    assert!(resp.status().is_success(), "moto setup failed: {text}");
    text
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let start = text.find(open).unwrap() + open.len();
    let end = text[start..].find(close).unwrap() + start;
    &text[start..end]
}

fn start() -> Moto {
    let port = free_port();
    let (child, line) = crate::spawn_python(
        "moto_server.py",
        |c| {
            c.arg(port.to_string())
                .env("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_ACTIONS.to_string())
                .env_remove("HTTPS_PROXY")
                .env_remove("HTTP_PROXY");
        },
        "moto[server]",
    );
    assert_eq!(
        line, "ready",
        "moto's server did not start (is moto[server] installed?)"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto's server is not listening");
        std::thread::sleep(Duration::from_millis(50));
    }
    let url = format!("http://127.0.0.1:{port}");
    iam(&url, "Action=CreateUser&UserName=alice&Version=2010-05-08");
    let key = iam(
        &url,
        "Action=CreateAccessKey&UserName=alice&Version=2010-05-08",
    );
    let policy = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D";
    iam(
        &url,
        &format!(
            "Action=PutUserPolicy&UserName=alice&PolicyName=all&PolicyDocument={policy}&Version=2010-05-08"
        ),
    );
    let trust = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22AWS%22%3A%22%2A%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D";
    let role = iam(
        &url,
        &format!(
            "Action=CreateRole&RoleName=reader&AssumeRolePolicyDocument={trust}&Version=2010-05-08"
        ),
    );
    // The role may assume roles itself (for chains of roles).
    iam(
        &url,
        &format!(
            "Action=PutRolePolicy&RoleName=reader&PolicyName=all&PolicyDocument={policy}&Version=2010-05-08"
        ),
    );
    Moto {
        user: Credentials::builder(
            between(&key, "<AccessKeyId>", "</AccessKeyId>"),
            between(&key, "<SecretAccessKey>", "</SecretAccessKey>"),
        )
        .provider("test")
        .build(),
        role_arn: between(&role, "<Arn>", "</Arn>").to_string(),
        url,
        _child: child,
    }
}

/// The shared server (started on first use).
pub fn moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(start)
}
