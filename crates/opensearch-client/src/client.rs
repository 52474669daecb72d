//! The client: nodes taken in turn, a failing node set aside for a while,
//! retries with exponential backoff and full jitter, authentication on
//! every attempt. The I/O is a `cred-providers` [`Transport`].

use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use cred_providers::clock::{
    Backoff, Clock, Jitter, RandomJitter, RuntimeSleep, Sleep, Spread, SystemClock,
};
use cred_providers::transport::{Transport, TransportError};
use serde::de::DeserializeOwned;

use crate::ApiRequest;
use crate::auth::Auth;
use crate::error::{ApiError, Error};

/// When and how often to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; each retry doubles it (full jitter).
    pub base: Duration,
    /// The largest backoff.
    pub max_backoff: Duration,
    /// How long a failed node is set aside before it is tried again
    /// (doubling for each failure in a row, up to 32 times this).
    pub dead_for: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            dead_for: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry `n` (1-based): a random duration up to
    /// `base * 2^(n-1)`, at most `max_backoff` ("full jitter").
    pub fn retry_backoff(&self) -> Backoff {
        Backoff::new(self.base, self.max_backoff, Spread::Full)
    }

    /// How long a node is set aside after `n` failures in a row:
    /// `dead_for * 2^(n-1)`, at most 32 times `dead_for`.
    pub fn node_backoff(&self) -> Backoff {
        Backoff::new(
            self.dead_for,
            self.dead_for.saturating_mul(32),
            Spread::None,
        )
    }
}

/// True for the statuses worth another try: 429 and 502/503/504.
pub fn retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// True for methods that may be sent twice.
pub fn idempotent(method: &http::Method) -> bool {
    matches!(
        *method,
        http::Method::GET
            | http::Method::HEAD
            | http::Method::PUT
            | http::Method::DELETE
            | http::Method::OPTIONS
    )
}

#[derive(Debug)]
struct Node {
    url: String,
    // (set aside until, failures in a row)
    state: Mutex<(Option<Instant>, u32)>,
}

/// The nodes, taken in turn; a node that failed is skipped until its time
/// is up (or every node is down, when the one back soonest is tried).
#[derive(Debug)]
pub struct NodePool {
    nodes: Vec<Node>,
    next: AtomicUsize,
}

impl NodePool {
    /// A pool of `urls` (`https://host:port`).
    pub fn new(urls: impl IntoIterator<Item = impl Into<String>>) -> Result<Self, Error> {
        let nodes: Vec<Node> = urls
            .into_iter()
            .map(|u| Node {
                url: u.into().trim_end_matches('/').to_string(),
                state: Mutex::new((None, 0)),
            })
            .collect();
        if nodes.is_empty() {
            return Err(Error::Request("no node URL given".into()));
        }
        for n in &nodes {
            let uri: http::Uri = n
                .url
                .parse()
                .map_err(|_| Error::Request(format!("{} is not a URL", n.url)))?;
            if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
                return Err(Error::Request(format!(
                    "{} is not an http(s) URL with a host",
                    n.url
                )));
            }
        }
        Ok(Self {
            nodes,
            next: AtomicUsize::new(0),
        })
    }

    fn state(&self, i: usize) -> std::sync::MutexGuard<'_, (Option<Instant>, u32)> {
        match self.nodes[i].state.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        }
    }

    /// The index of the node to use now.
    pub fn pick(&self, now: Instant) -> usize {
        let n = self.nodes.len();
        let start = self.next.fetch_add(1, Ordering::Relaxed) % n;
        let mut soonest = (start, None::<Instant>);
        for k in 0..n {
            let i = (start + k) % n;
            let (until, _) = *self.state(i);
            match until {
                None => return i,
                Some(t) if t <= now => return i,
                Some(t) => {
                    if soonest.1.is_none_or(|s| t < s) {
                        soonest = (i, Some(t));
                    }
                }
            }
        }
        soonest.0
    }

    /// The node's URL.
    pub fn url(&self, i: usize) -> &str {
        &self.nodes[i].url
    }

    /// Records a failure: the node is set aside for `backoff`'s ceiling of
    /// its failures in a row.
    pub fn failed(&self, i: usize, now: Instant, backoff: &Backoff) {
        let mut s = self.state(i);
        s.1 = s.1.saturating_add(1);
        s.0 = Some(now + backoff.ceiling(s.1));
    }

    /// Records a success: the node is alive again.
    pub fn succeeded(&self, i: usize) {
        *self.state(i) = (None, 0);
    }

    /// How many nodes are not set aside at `now`.
    pub fn alive(&self, now: Instant) -> usize {
        (0..self.nodes.len())
            .filter(|&i| self.state(i).0.is_none_or(|t| t <= now))
            .count()
    }
}

/// An OpenSearch client. Cheap to clone: clones share the node pool (and
/// which nodes are set aside), the transport and its connections, and the
/// credentials cache; [`with_auth`](Self::with_auth) gives a clone that
/// authenticates otherwise.
#[derive(Clone)]
pub struct Client {
    nodes: Arc<NodePool>,
    transport: Arc<dyn Transport>,
    auth: Arc<Auth>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
    jitter: Arc<dyn Jitter>,
    sleep: Arc<dyn Sleep>,
    gzip: bool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("nodes", &self.nodes)
            .field("auth", &self.auth)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client over `nodes` sending through `transport`, authenticating
    /// with `auth`.
    pub fn new(nodes: NodePool, transport: Arc<dyn Transport>, auth: Auth) -> Self {
        Self {
            nodes: Arc::new(nodes),
            transport,
            auth: Arc::new(auth),
            retry: RetryPolicy::default(),
            clock: Arc::new(SystemClock),
            jitter: Arc::new(RandomJitter),
            sleep: Arc::new(RuntimeSleep),
            gzip: false,
        }
    }

    /// Compresses request bodies of 1 KiB or more with gzip
    /// (`Content-Encoding: gzip`; OpenSearch accepts it while
    /// `http.compression` is on, its default). SigV4 signs the compressed
    /// bytes, as they are what is sent.
    pub fn with_gzip(mut self, yes: bool) -> Self {
        self.gzip = yes;
        self
    }

    /// With another retry policy.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// With another timer. The default, [`RuntimeSleep`], uses tokio's
    /// timer on a tokio runtime and sleeps the thread elsewhere.
    pub fn with_sleep(mut self, sleep: Arc<dyn Sleep>) -> Self {
        self.sleep = sleep;
        self
    }

    /// With another clock (signing times, when nodes come back).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// With another jitter source for the retry backoff (e.g. a
    /// [`SeededJitter`](cred_providers::clock::SeededJitter)).
    pub fn with_jitter(mut self, jitter: Arc<dyn Jitter>) -> Self {
        self.jitter = jitter;
        self
    }

    /// The same client (nodes, transport, settings) authenticating with
    /// `auth`: for example the master user beside a workload's SigV4.
    pub fn with_auth(&self, auth: Auth) -> Self {
        Self {
            auth: Arc::new(auth),
            ..self.clone()
        }
    }

    /// The node pool.
    pub fn nodes(&self) -> &NodePool {
        &self.nodes
    }

    /// A façade whose calls block the current thread until they are done,
    /// for programs without an async runtime (with the blocking transport,
    /// the default). No executor crate is needed.
    pub fn blocking(&self) -> crate::blocking::BlockingClient<'_> {
        crate::blocking::BlockingClient::new(self)
    }

    /// Sends `req` and returns the response as it came (any status), after
    /// the retries the policy allows. Connection failures are retried for
    /// every method (nothing was sent); timeouts, 429 and 502/503/504 only
    /// for idempotent ones (or requests marked so).
    pub async fn send(&self, req: &ApiRequest) -> Result<http::Response<Vec<u8>>, Error> {
        let may_repeat = req.idempotent.unwrap_or_else(|| idempotent(&req.method));
        // Compressed once; each attempt takes its own copy of what is sent.
        let (body, encoding) = match &req.body {
            Some(b) if self.gzip && b.len() >= GZIP_FROM => (Some(gzip(b)?), Some("gzip")),
            _ => (None, None),
        };
        let mut attempt = 0u32;
        loop {
            let node = self.nodes.pick(self.clock.instant());
            let sent = body.as_ref().or(req.body.as_ref()).cloned();
            let mut http_req = req.to_http_with(self.nodes.url(node), sent, encoding)?;
            self.auth.apply(&mut http_req, self.clock.now()).await?;
            let result = self.transport.send(http_req).await;
            let retry = match &result {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    if matches!(status, 502..=504) {
                        self.nodes
                            .failed(node, self.clock.instant(), &self.retry.node_backoff());
                    } else {
                        self.nodes.succeeded(node);
                    }
                    retryable_status(status) && may_repeat
                }
                Err(e) => {
                    self.nodes
                        .failed(node, self.clock.instant(), &self.retry.node_backoff());
                    matches!(e, TransportError::Connect(_)) || may_repeat
                }
            };
            if !retry || attempt >= self.retry.max_retries {
                return result.map_err(Error::Transport);
            }
            attempt += 1;
            let mut wait = self.retry.retry_backoff().delay(attempt, &*self.jitter);
            if let Ok(resp) = &result
                && let Some(after) = resp
                    .headers()
                    .get(http::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|s| s.trim().parse::<u64>().ok())
            {
                wait = wait.max(Duration::from_secs(after).min(self.retry.max_backoff));
            }
            self.sleep.sleep(wait).await;
        }
    }

    /// Sends `req` and reads a typed 2xx body, or the error.
    pub async fn call<T: DeserializeOwned>(&self, req: &ApiRequest) -> Result<T, Error> {
        let resp = self.send(req).await?;
        parse(&resp)
    }

    /// Sends `req` and returns whether it answered 2xx (`true`) or 404
    /// (`false`), for `HEAD` existence checks.
    pub async fn exists(&self, req: &ApiRequest) -> Result<bool, Error> {
        let resp = self.send(req).await?;
        match resp.status().as_u16() {
            200..=299 => Ok(true),
            404 => Ok(false),
            s => Err(ApiError::from_response(s, resp.body()).into()),
        }
    }
}

/// Bodies smaller than this are sent as they are even with gzip on.
const GZIP_FROM: usize = 1024;

fn gzip(body: &[u8]) -> Result<Vec<u8>, Error> {
    use std::io::Write;
    let mut enc = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::fast(),
    );
    enc.write_all(body)
        .and_then(|()| enc.finish())
        .map_err(|e| Error::Encode(Box::new(e)))
}

/// Reads a response: the typed body of a 2xx, else the error.
pub fn parse<T: DeserializeOwned>(resp: &http::Response<Vec<u8>>) -> Result<T, Error> {
    let status = resp.status().as_u16();
    if !resp.status().is_success() {
        return Err(ApiError::from_response(status, resp.body()).into());
    }
    serde_json::from_slice(resp.body()).map_err(|e| Error::Decode {
        status,
        message: e.to_string(),
        source: Some(e),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_skips_a_dead_node_until_its_time() {
        let pool = NodePool::new(["http://a:9200", "http://b:9200", "http://c:9200"]).unwrap();
        let t = Instant::now();
        let picks: Vec<usize> = (0..6).map(|_| pool.pick(t)).collect();
        assert_eq!(picks, [0, 1, 2, 0, 1, 2]);
        let ten = RetryPolicy {
            dead_for: Duration::from_secs(10),
            ..RetryPolicy::default()
        }
        .node_backoff();
        pool.failed(1, t, &ten);
        assert_eq!(pool.alive(t), 2);
        let picks: Vec<usize> = (0..6).map(|_| pool.pick(t)).collect();
        assert!(!picks.contains(&1), "{picks:?}");
        // Its time is up: back in turn.
        let later = t + Duration::from_secs(11);
        let picks: Vec<usize> = (0..3).map(|_| pool.pick(later)).collect();
        assert!(picks.contains(&1));
        // Failing again doubles the time.
        pool.failed(1, later, &ten);
        assert_eq!(pool.alive(later + Duration::from_secs(15)), 2);
        assert_eq!(pool.alive(later + Duration::from_secs(21)), 3);
        pool.succeeded(1);
        assert_eq!(pool.alive(later), 3);
    }

    #[test]
    fn all_dead_tries_the_one_back_soonest() {
        let pool = NodePool::new(["http://a", "http://b"]).unwrap();
        let t = Instant::now();
        let policy = |s| RetryPolicy {
            dead_for: Duration::from_secs(s),
            ..RetryPolicy::default()
        };
        pool.failed(0, t, &policy(20).node_backoff());
        pool.failed(1, t, &policy(5).node_backoff());
        assert_eq!(pool.pick(t), 1);
        assert_eq!(pool.pick(t), 1);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy::default();
        let jitter = cred_providers::clock::SeededJitter::new(3);
        for attempt in 1..10 {
            let ceiling = (p.base * (1 << (attempt - 1))).min(p.max_backoff);
            for _ in 0..50 {
                assert!(p.retry_backoff().delay(attempt, &jitter) <= ceiling);
            }
        }
        assert!(retryable_status(429) && retryable_status(503) && !retryable_status(500));
        assert!(idempotent(&http::Method::PUT) && !idempotent(&http::Method::POST));
        assert!(NodePool::new(Vec::<String>::new()).is_err());
        assert!(NodePool::new(["ftp://x"]).is_err());
    }
}
