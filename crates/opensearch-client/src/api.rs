//! Cluster-level calls: info, cluster health, `_cat/indices`.

use serde::Deserialize;

use crate::ApiRequest;

/// `HEAD /`: whether the cluster answers (use [`crate::Client::exists`]).
pub fn ping() -> ApiRequest {
    ApiRequest::new(http::Method::HEAD, "/")
}

/// `GET /`.
pub fn info() -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/")
}

/// What `GET /` says.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Info {
    /// The node name.
    #[serde(default)]
    pub name: String,
    /// The cluster name.
    pub cluster_name: String,
    /// The cluster UUID.
    #[serde(default)]
    pub cluster_uuid: String,
    /// The version.
    pub version: Version,
    /// The tagline.
    #[serde(default)]
    pub tagline: String,
}

/// The version part of [`Info`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Version {
    /// `opensearch` (absent on older versions).
    #[serde(default)]
    pub distribution: Option<String>,
    /// `2.13.0`.
    pub number: String,
    /// The Lucene version.
    #[serde(default)]
    pub lucene_version: String,
}

/// `GET /_cluster/health`.
pub fn cluster_health() -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/_cluster/health")
}

/// What cluster health says (the fields every version sends).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct ClusterHealth {
    /// The cluster name.
    pub cluster_name: String,
    /// `green`, `yellow` or `red`.
    pub status: String,
    /// Whether the call timed out waiting.
    #[serde(default)]
    pub timed_out: bool,
    /// Nodes.
    pub number_of_nodes: u32,
    /// Data nodes.
    pub number_of_data_nodes: u32,
    /// Active primary shards.
    pub active_primary_shards: u32,
    /// Active shards.
    pub active_shards: u32,
    /// Relocating shards.
    #[serde(default)]
    pub relocating_shards: u32,
    /// Initializing shards.
    #[serde(default)]
    pub initializing_shards: u32,
    /// Unassigned shards.
    #[serde(default)]
    pub unassigned_shards: u32,
}

/// `GET /_cat/indices?format=json`.
pub fn cat_indices() -> ApiRequest {
    ApiRequest::new(http::Method::GET, "/_cat/indices").param("format", "json")
}

/// One row of `_cat/indices` (values are strings, as `_cat` sends them).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct CatIndex {
    /// `green`, `yellow`, `red`.
    #[serde(default)]
    pub health: Option<String>,
    /// `open` or `close`.
    #[serde(default)]
    pub status: Option<String>,
    /// The index name.
    pub index: String,
    /// The UUID.
    #[serde(default)]
    pub uuid: Option<String>,
    /// Primary shards.
    #[serde(default)]
    pub pri: Option<String>,
    /// Replicas.
    #[serde(default)]
    pub rep: Option<String>,
    /// Document count.
    #[serde(rename = "docs.count", default)]
    pub docs_count: Option<String>,
    /// Deleted documents.
    #[serde(rename = "docs.deleted", default)]
    pub docs_deleted: Option<String>,
    /// Store size.
    #[serde(rename = "store.size", default)]
    pub store_size: Option<String>,
    /// Primary store size.
    #[serde(rename = "pri.store.size", default)]
    pub pri_store_size: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::parse;

    fn resp(body: &str) -> http::Response<Vec<u8>> {
        http::Response::new(body.as_bytes().to_vec())
    }

    #[test]
    fn shapes() {
        assert_eq!(cat_indices().path_and_query(), "/_cat/indices?format=json");
        let rows: Vec<CatIndex> = parse(&resp(
            r#"[{"health":"yellow","status":"open","index":"movies","uuid":"u","pri":"1","rep":"1","docs.count":"3","docs.deleted":"0","store.size":"10kb","pri.store.size":"10kb"}]"#,
        ))
        .unwrap();
        assert_eq!(rows[0].index, "movies");
        assert_eq!(rows[0].docs_count.as_deref(), Some("3"));
        let info: Info = parse(&resp(
            r#"{"name":"n1","cluster_name":"c","cluster_uuid":"x","version":{"distribution":"opensearch","number":"2.13.0","build_type":"tar","lucene_version":"9.10.0"},"tagline":"The OpenSearch Project: https://opensearch.org/"}"#,
        ))
        .unwrap();
        assert_eq!(info.version.number, "2.13.0");
        let h: ClusterHealth = parse(&resp(
            r#"{"cluster_name":"c","status":"green","timed_out":false,"number_of_nodes":3,"number_of_data_nodes":3,"discovered_master":true,"active_primary_shards":5,"active_shards":10,"relocating_shards":0,"initializing_shards":0,"unassigned_shards":0,"delayed_unassigned_shards":0,"number_of_pending_tasks":0,"number_of_in_flight_fetch":0,"task_max_waiting_in_queue_millis":0,"active_shards_percent_as_number":100.0}"#,
        ))
        .unwrap();
        assert_eq!(h.status, "green");
    }
}
