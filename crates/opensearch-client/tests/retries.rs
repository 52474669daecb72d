//! The client's retry and node rules, with a scripted transport: which
//! node each attempt went to, and what came back.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cred_providers::transport::{HttpRequest, Transport, TransportError, TransportFuture};
use opensearch_client::auth::Auth;
use opensearch_client::error::Error;
use opensearch_client::{ApiRequest, Client, NodePool, RetryPolicy};

type Answer = Result<(u16, &'static str), TransportError>;

#[derive(Debug, Default)]
struct Script {
    answers: Mutex<VecDeque<Answer>>,
    seen: Mutex<Vec<String>>,
}

impl Transport for Script {
    fn send(&self, request: HttpRequest) -> TransportFuture<'_> {
        self.seen
            .lock()
            .unwrap()
            .push(request.uri().authority().unwrap().to_string());
        let answer = self.answers.lock().unwrap().pop_front().expect("an answer");
        Box::pin(async move {
            answer.map(|(status, body)| {
                http::Response::builder()
                    .status(status)
                    .body(body.as_bytes().to_vec())
                    .unwrap()
            })
        })
    }
}

fn client(answers: Vec<Answer>) -> (Client, Arc<Script>) {
    let script = Arc::new(Script {
        answers: Mutex::new(answers.into()),
        ..Script::default()
    });
    let nodes = NodePool::new(["http://n1:9200", "http://n2:9200", "http://n3:9200"]).unwrap();
    let c = Client::new(nodes, script.clone(), Auth::None).with_retry(RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        dead_for: Duration::from_secs(60),
    });
    (c, script)
}

fn get() -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/")
}

#[test]
fn a_503_burst_is_retried_on_other_nodes() {
    let (c, script) = client(vec![
        Ok((503, "{}")),
        Ok((503, "{}")),
        Ok((200, r#"{"ok":true}"#)),
    ]);
    let v: serde_json::Value = pollster::block_on(c.call(&get())).unwrap();
    assert_eq!(v["ok"], true);
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen, ["n1:9200", "n2:9200", "n3:9200"]);
}

#[test]
fn a_429_is_retried_on_the_same_node_and_gives_up_after_the_limit() {
    let (c, script) = client(vec![Ok((429, "{}")); 4]);
    let err = pollster::block_on(c.call::<serde_json::Value>(&get())).unwrap_err();
    assert!(matches!(&err, Error::Api(e) if e.status == 429), "{err}");
    assert_eq!(script.seen.lock().unwrap().len(), 4, "1 + 3 retries");
    // 429 does not set the node aside.
    assert_eq!(c.nodes().alive(std::time::Instant::now()), 3);
}

#[test]
fn post_is_not_repeated_after_a_503_but_is_after_a_refused_connection() {
    let (c, script) = client(vec![Ok((503, r#"{"message":"busy"}"#))]);
    let post = ApiRequest::new(http::Method::POST, "/_bulk");
    let err = pollster::block_on(c.call::<serde_json::Value>(&post)).unwrap_err();
    assert!(err.to_string().contains("busy"));
    assert_eq!(script.seen.lock().unwrap().len(), 1);

    let (c, script) = client(vec![
        Err(TransportError::Connect("refused".into())),
        Ok((200, "{}")),
    ]);
    pollster::block_on(c.call::<serde_json::Value>(&post)).unwrap();
    assert_eq!(script.seen.lock().unwrap().len(), 2);
    // A timeout on a POST: not repeated (it may have been applied).
    let (c, script) = client(vec![Err(TransportError::Timeout("read".into()))]);
    let err = pollster::block_on(c.call::<serde_json::Value>(&post)).unwrap_err();
    assert!(matches!(err, Error::Transport(_)));
    assert_eq!(script.seen.lock().unwrap().len(), 1);
    // A search marked idempotent is.
    let (c, script) = client(vec![
        Err(TransportError::Timeout("read".into())),
        Ok((200, "{}")),
    ]);
    pollster::block_on(c.call::<serde_json::Value>(&post.clone().idempotent(true))).unwrap();
    assert_eq!(script.seen.lock().unwrap().len(), 2);
}

#[test]
fn one_dead_node_of_three_is_skipped_afterwards() {
    let mut answers = vec![Err(TransportError::Connect("refused".into()))];
    answers.extend(vec![Ok((200, "{}")); 7]);
    let (c, script) = client(answers);
    for _ in 0..5 {
        pollster::block_on(c.call::<serde_json::Value>(&get())).unwrap();
    }
    let seen = script.seen.lock().unwrap().clone();
    assert_eq!(seen[0], "n1:9200");
    assert!(!seen[1..].contains(&"n1:9200".to_string()), "{seen:?}");
    assert_eq!(c.nodes().alive(std::time::Instant::now()), 2);
}
