//! Two real nodes: the first node of `scripts/opensearch` and a data-only
//! node that joins it. The data-only node is killed in the middle of a
//! bulk load and a search loop, then restarted. Alone in its test binary,
//! as indices created meanwhile by other tests could land on the node that
//! is killed.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opensearch_client::api::{self, ClusterHealth};
use opensearch_client::auth::Auth;
use opensearch_client::bulk::{BulkBody, BulkResponse};
use opensearch_client::documents::{self, SearchResponse};
use opensearch_client::{ApiRequest, Client, NodePool, RetryPolicy};
use serde_json::{Value, json};
use test_support::opensearch::real::{
    REAL_MASTER_USER, kill_data_node, real_node, start_data_node,
};

fn run<F: std::future::Future>(f: F) -> F::Output {
    pollster::block_on(f)
}

const BATCHES: usize = 30;
const PER_BATCH: usize = 100;
const KILL_AFTER: usize = 10;

#[test]
fn a_data_node_dies_mid_load_and_comes_back() {
    let node = real_node();
    let data_url = start_data_node();
    let dead_for = Duration::from_secs(2);
    let client = Client::new(
        NodePool::new([node.url.clone(), data_url.clone()]).unwrap(),
        Arc::new(node.transport(Duration::from_secs(30))),
        Auth::basic(REAL_MASTER_USER, node.master_password.clone()),
    )
    .with_retry(RetryPolicy {
        max_retries: 3,
        base: Duration::from_millis(50),
        max_backoff: Duration::from_millis(500),
        dead_for,
    });
    let health: ClusterHealth = run(client.call(&api::cluster_health())).unwrap();
    assert_eq!(health.number_of_nodes, 2, "{health:?}");

    // Two shards with one replica each: every document on both nodes.
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let index = format!("two-nodes-{stamp}");
    let _: Value = run(client.call(
        &documents::create_index(
            &index,
            &json!({"settings": {"number_of_shards": 2, "number_of_replicas": 1}}),
        )
        .unwrap(),
    ))
    .unwrap();
    let green = api::cluster_health()
        .param("wait_for_status", "green")
        .param("timeout", "60s");
    let health: ClusterHealth = run(client.call(&green)).unwrap();
    assert_eq!(health.status, "green", "{health:?}");

    let mut acknowledged = 0u64;
    let mut failed_requests = Vec::new();
    let mut searches = 0;
    let mut set_aside = 0;
    for batch in 0..BATCHES {
        if batch == KILL_AFTER {
            kill_data_node();
        }
        let mut body = BulkBody::new();
        for i in 0..PER_BATCH {
            let id = format!("{batch}-{i}");
            body.index(&index, Some(&id), &json!({"batch": batch, "i": i}))
                .unwrap();
        }
        match run(client.call::<BulkResponse>(&body.into_request())) {
            Ok(resp) => {
                acknowledged += resp
                    .items
                    .iter()
                    .filter(|item| (200..300).contains(&item.result().status))
                    .count() as u64;
            }
            Err(e) => failed_requests.push(format!("bulk {batch}: {e}")),
        }
        if batch == KILL_AFTER {
            // The first request after the kill found the node gone.
            set_aside = client.nodes().alive(Instant::now());
        }
        // The search loop, between the batches.
        for _ in 0..3 {
            let req = documents::search(&index, &json!({"size": 1})).unwrap();
            match run(client.call::<SearchResponse<Value>>(&req)) {
                Ok(_) => searches += 1,
                Err(e) => failed_requests.push(format!("search after {batch}: {e}")),
            }
        }
    }
    // Every request succeeded, on the live node once the other was gone.
    assert_eq!(failed_requests, Vec::<String>::new());
    assert_eq!(searches, BATCHES * 3);
    assert_eq!(acknowledged, (BATCHES * PER_BATCH) as u64);
    assert_eq!(set_aside, 1, "the killed node is set aside");
    // No acknowledged write is lost.
    let _: Value = run(client.call(&documents::refresh(&index))).unwrap();
    let count: Value = run(client.call(&ApiRequest::new(
        http::Method::GET,
        format!("/{index}/_count"),
    )))
    .unwrap();
    assert_eq!(count["count"], acknowledged, "{count}");

    // The node comes back (same port, same data): the cluster has two nodes
    // again, and the client takes it back once its time aside is over.
    let again = start_data_node();
    assert_eq!(again, data_url);
    let two = api::cluster_health()
        .param("wait_for_nodes", "2")
        .param("wait_for_status", "green")
        .param("timeout", "60s");
    let health: ClusterHealth = run(client.call(&two)).unwrap();
    assert_eq!(
        (health.number_of_nodes, health.status.as_str()),
        (2, "green"),
        "{health:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.nodes().alive(Instant::now()) < 2 {
        assert!(
            Instant::now() < deadline,
            "the restarted node was not taken back"
        );
        std::thread::sleep(Duration::from_millis(200));
        let _: Value = run(client.call(&ApiRequest::new(http::Method::GET, "/"))).unwrap();
    }
    // Both nodes answer: requests go to each in turn.
    for _ in 0..4 {
        let _: Value = run(client.call(&ApiRequest::new(http::Method::GET, "/"))).unwrap();
    }
    assert_eq!(client.nodes().alive(Instant::now()), 2);

    let _: Value = run(client.call(&documents::delete_index(&index))).unwrap();
    kill_data_node();
}
