//! One resolution of the default chain reads each shared file once, and
//! every provider — IMDS included — sends through the chain's transport, so
//! an async chain never blocks its runtime.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cred_providers::{
    BlockingTransport, DefaultChain, Env, Files, MapEnv, ProxySetting, RealFiles, Transport,
    TransportConfig, provide_blocking,
};
use test_support::http::{serve_fn, text_response};

/// The real files, counting each path's reads.
#[derive(Debug, Default)]
struct CountingFiles(Mutex<HashMap<PathBuf, usize>>);

impl CountingFiles {
    fn reads(&self, path: &Path) -> usize {
        self.0.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

impl Files for CountingFiles {
    fn read_to_string(&self, path: &Path) -> io::Result<String> {
        *self
            .0
            .lock()
            .unwrap()
            .entry(path.to_path_buf())
            .or_default() += 1;
        RealFiles.read_to_string(path)
    }
}

const IMDS_CREDS: &str = r#"{"Code":"Success","AccessKeyId":"ASIAIMDS","SecretAccessKey":"imds-secret","Token":"imds-token","Expiration":"2099-01-01T00:00:00Z"}"#;

/// An IMDSv2 endpoint on loopback whose credentials answer takes `delay`;
/// counts the credential requests.
fn imds(delay: Duration) -> (String, Arc<AtomicUsize>) {
    let gets = Arc::new(AtomicUsize::new(0));
    let counter = gets.clone();
    let port = serve_fn(
        move |req| match (req.method.as_str(), req.target.as_str()) {
            ("PUT", "/latest/api/token") => text_response("200 OK", "token"),
            ("GET", "/latest/meta-data/iam/security-credentials-extended/") => {
                text_response("200 OK", "reader")
            }
            ("GET", "/latest/meta-data/iam/security-credentials-extended/reader") => {
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(delay);
                text_response("200 OK", IMDS_CREDS)
            }
            _ => text_response("404 Not Found", ""),
        },
    );
    (format!("http://127.0.0.1:{port}"), gets)
}

struct Home(PathBuf);

impl Home {
    /// A home whose config points IMDS at `endpoint` (a profile setting, so
    /// IMDS must take it from the chain's snapshot of the files).
    fn new(tag: &str, endpoint: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cred-once-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join(".aws")).unwrap();
        std::fs::write(
            dir.join(".aws/config"),
            format!("[default]\nregion = eu-west-1\nec2_metadata_service_endpoint = {endpoint}\n"),
        )
        .unwrap();
        Self(dir)
    }

    fn env(&self) -> Arc<dyn Env> {
        Arc::new(MapEnv::new([("HOME", self.0.display().to_string())]))
    }
}

impl Drop for Home {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn blocking() -> Arc<dyn Transport> {
    Arc::new(
        BlockingTransport::try_new(TransportConfig {
            proxy: ProxySetting::None,
            ..TransportConfig::default()
        })
        .unwrap(),
    )
}

#[test]
fn the_chain_reads_each_shared_file_once_per_resolution() {
    let (endpoint, gets) = imds(Duration::ZERO);
    let home = Home::new("count", &endpoint);
    let files = Arc::new(CountingFiles::default());
    let chain = DefaultChain::new(home.env(), files.clone(), None, blocking());
    let config = home.0.join(".aws/config");
    let credentials = home.0.join(".aws/credentials");

    // Every provider before IMDS finds nothing; IMDS answers, at the
    // endpoint the profile names.
    let creds = provide_blocking(&chain).unwrap();
    assert_eq!(creds.access_key_id(), "ASIAIMDS");
    assert_eq!(gets.load(Ordering::SeqCst), 1);
    assert_eq!(files.reads(&config), 1, "the config file, once");
    assert_eq!(files.reads(&credentials), 1, "the credentials file, once");

    // The next resolution reads them again (they may have changed), once.
    provide_blocking(&chain).unwrap();
    assert_eq!(files.reads(&config), 2);
    assert_eq!(files.reads(&credentials), 2);
}

#[cfg(feature = "tokio")]
mod tokio_chain {
    use super::*;
    use cred_providers::{ProvideCredentials, TokioTransport};

    /// Runs the chain on this current-thread runtime beside a task that
    /// ticks every 10 ms; returns how many ticks happened meanwhile.
    async fn ticks_during(chain: &DefaultChain) -> usize {
        let ticks = Arc::new(AtomicUsize::new(0));
        let t = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(10)).await;
                t.fetch_add(1, Ordering::SeqCst);
            }
        });
        // Let the ticker start.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let before = ticks.load(Ordering::SeqCst);
        let creds = chain.provide_credentials().await.unwrap();
        assert_eq!(creds.access_key_id(), "ASIAIMDS");
        let during = ticks.load(Ordering::SeqCst) - before;
        ticker.abort();
        during
    }

    #[tokio::test(flavor = "current_thread")]
    async fn the_tokio_chain_never_blocks_its_runtime() {
        let (endpoint, _) = imds(Duration::from_millis(400));
        let home = Home::new("tokio", &endpoint);
        let transport: Arc<dyn Transport> = Arc::new(
            TokioTransport::try_new(TransportConfig {
                proxy: ProxySetting::None,
                ..TransportConfig::default()
            })
            .unwrap(),
        );
        let chain = DefaultChain::new(home.env(), Arc::new(RealFiles), None, transport);
        let during = ticks_during(&chain).await;
        assert!(
            during >= 15,
            "the runtime kept running while IMDS was slow: {during} ticks in 400 ms"
        );

        // The control: the same chain on the blocking transport stalls the
        // runtime, and the measure above sees it.
        let (endpoint, _) = imds(Duration::from_millis(400));
        let home = Home::new("tokio-control", &endpoint);
        let chain = DefaultChain::new(home.env(), Arc::new(RealFiles), None, blocking());
        let during = ticks_during(&chain).await;
        assert!(
            during <= 2,
            "a blocking transport stalls the runtime: {during} ticks"
        );
    }

    /// `credential_process` runs on a thread of its own: a slow command does
    /// not stall the runtime either.
    #[tokio::test(flavor = "current_thread")]
    async fn a_slow_credential_process_does_not_block_the_runtime() {
        let home = Home::new("process", "http://127.0.0.1:9");
        let script = home.0.join("creds.sh");
        std::fs::write(
            &script,
            "sleep 0.4\necho '{\"Version\":1,\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"s\"}'\n",
        )
        .unwrap();
        std::fs::write(
            home.0.join(".aws/config"),
            format!("[default]\ncredential_process = sh {}\n", script.display()),
        )
        .unwrap();
        let chain = DefaultChain::new(home.env(), Arc::new(RealFiles), None, blocking());
        let during = ticks_during(&chain).await;
        assert!(
            during >= 15,
            "the runtime kept running: {during} ticks in 400 ms"
        );
    }
}
