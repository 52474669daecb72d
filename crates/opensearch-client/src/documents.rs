//! Indices and documents: create/delete/exists/mapping/refresh, index,
//! get, update, delete, search with typed hits and `search_after`.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::ApiRequest;
use crate::error::Error;
use crate::request::segment;

/// `PUT /{index}` with settings and mappings (any JSON, or `{}`).
pub fn create_index(index: &str, body: &serde_json::Value) -> Result<ApiRequest, Error> {
    ApiRequest::new(http::Method::PUT, format!("/{}", segment(index))).json(body)
}

/// `DELETE /{index}`.
pub fn delete_index(index: &str) -> ApiRequest {
    ApiRequest::new(http::Method::DELETE, format!("/{}", segment(index)))
}

/// `HEAD /{index}` (use [`crate::Client::exists`]).
pub fn index_exists(index: &str) -> ApiRequest {
    ApiRequest::new(http::Method::HEAD, format!("/{}", segment(index)))
}

/// `GET /{index}/_mapping`.
pub fn get_mapping(index: &str) -> ApiRequest {
    ApiRequest::new(http::Method::GET, format!("/{}/_mapping", segment(index)))
}

/// `POST /{index}/_refresh`.
pub fn refresh(index: &str) -> ApiRequest {
    ApiRequest::new(http::Method::POST, format!("/{}/_refresh", segment(index))).idempotent(true)
}

/// `PUT /{index}/_doc/{id}` (with an id) or `POST /{index}/_doc`.
pub fn index_document<T: Serialize>(
    index: &str,
    id: Option<&str>,
    doc: &T,
) -> Result<ApiRequest, Error> {
    match id {
        Some(id) => ApiRequest::new(
            http::Method::PUT,
            format!("/{}/_doc/{}", segment(index), segment(id)),
        ),
        None => ApiRequest::new(http::Method::POST, format!("/{}/_doc", segment(index))),
    }
    .json(doc)
}

/// `GET /{index}/_doc/{id}`; read with [`GetResponse`].
pub fn get_document(index: &str, id: &str) -> ApiRequest {
    ApiRequest::new(
        http::Method::GET,
        format!("/{}/_doc/{}", segment(index), segment(id)),
    )
}

/// `POST /{index}/_update/{id}` with `{"doc": partial}`.
pub fn update_document<T: Serialize>(
    index: &str,
    id: &str,
    partial: &T,
) -> Result<ApiRequest, Error> {
    ApiRequest::new(
        http::Method::POST,
        format!("/{}/_update/{}", segment(index), segment(id)),
    )
    .json(&serde_json::json!({ "doc": partial }))
}

/// `HEAD /{index}/_doc/{id}` (use [`crate::Client::exists`]).
pub fn document_exists(index: &str, id: &str) -> ApiRequest {
    ApiRequest::new(
        http::Method::HEAD,
        format!("/{}/_doc/{}", segment(index), segment(id)),
    )
}

/// `DELETE /{index}/_doc/{id}`.
pub fn delete_document(index: &str, id: &str) -> ApiRequest {
    ApiRequest::new(
        http::Method::DELETE,
        format!("/{}/_doc/{}", segment(index), segment(id)),
    )
}

/// What a write (index, update, delete) answers.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct WriteResponse {
    /// The index.
    #[serde(rename = "_index")]
    pub index: String,
    /// The id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The version.
    #[serde(rename = "_version", default)]
    pub version: u64,
    /// `created`, `updated`, `deleted`, `noop`, `not_found`.
    pub result: String,
}

/// What a get answers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct GetResponse<T> {
    /// The index.
    #[serde(rename = "_index")]
    pub index: String,
    /// The id.
    #[serde(rename = "_id")]
    pub id: String,
    /// Whether it exists.
    pub found: bool,
    /// The document.
    #[serde(rename = "_source", default = "none")]
    pub source: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// `POST /{index}/_search` with any query JSON (`{"query": …, "size": …,
/// "sort": …}`); marked idempotent so it is retried like a GET.
pub fn search(index: &str, body: &serde_json::Value) -> Result<ApiRequest, Error> {
    Ok(
        ApiRequest::new(http::Method::POST, format!("/{}/_search", segment(index)))
            .json(body)?
            .idempotent(true),
    )
}

/// The next page after `previous`: the same body with `search_after` set
/// to the last hit's sort values; `None` when the page was the last.
pub fn next_page<T>(
    body: &serde_json::Value,
    previous: &SearchResponse<T>,
) -> Option<serde_json::Value> {
    let last = previous.hits.hits.last()?;
    let sort = last.sort.clone()?;
    let mut next = body.clone();
    next.as_object_mut()?.insert("search_after".into(), sort);
    Some(next)
}

/// A search response with hits of type `T`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct SearchResponse<T> {
    /// Milliseconds taken.
    #[serde(default)]
    pub took: u64,
    /// Whether it timed out.
    #[serde(default)]
    pub timed_out: bool,
    /// The hits.
    pub hits: Hits<T>,
    /// Aggregations, as JSON.
    #[serde(default)]
    pub aggregations: Option<serde_json::Value>,
}

/// The hits of a search.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Hits<T> {
    /// The total, when tracked.
    #[serde(default)]
    pub total: Option<Total>,
    /// The best score.
    #[serde(default)]
    pub max_score: Option<f64>,
    /// The hits.
    pub hits: Vec<Hit<T>>,
}

/// `hits.total`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct Total {
    /// The count.
    pub value: u64,
    /// `eq` or `gte`.
    pub relation: String,
}

/// One hit.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
pub struct Hit<T> {
    /// The index.
    #[serde(rename = "_index")]
    pub index: String,
    /// The id.
    #[serde(rename = "_id")]
    pub id: String,
    /// The score.
    #[serde(rename = "_score", default)]
    pub score: Option<f64>,
    /// The document.
    #[serde(rename = "_source", default = "none")]
    pub source: Option<T>,
    /// Sort values (for `search_after`).
    #[serde(default)]
    pub sort: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::parse;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Movie {
        title: String,
        year: u32,
    }

    #[test]
    fn documents_and_search() {
        let m = Movie {
            title: "Moneyball".into(),
            year: 2011,
        };
        let r = index_document("movies", Some("1"), &m).unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("PUT", "/movies/_doc/1")
        );
        let r = index_document("movies", None, &m).unwrap();
        assert_eq!(
            (r.method.as_str(), r.path.as_str()),
            ("POST", "/movies/_doc")
        );
        let r = update_document("movies", "1", &serde_json::json!({"year": 2012})).unwrap();
        assert_eq!(r.body.unwrap(), br#"{"doc":{"year":2012}}"#);
        let body =
            serde_json::json!({"query": {"match_all": {}}, "sort": [{"year": "asc"}], "size": 1});
        let r = search("movies", &body).unwrap();
        assert_eq!(r.idempotent, Some(true));
        let resp: SearchResponse<Movie> = parse(&http::Response::new(
            br#"{"took":2,"timed_out":false,"_shards":{"total":1,"successful":1,"skipped":0,"failed":0},"hits":{"total":{"value":2,"relation":"eq"},"max_score":null,"hits":[{"_index":"movies","_id":"1","_score":null,"_source":{"title":"Moneyball","year":2011},"sort":[2011]}]}}"#.to_vec(),
        ))
        .unwrap();
        assert_eq!(resp.hits.hits[0].source.as_ref().unwrap(), &m);
        let next = next_page(&body, &resp).unwrap();
        assert_eq!(next["search_after"], serde_json::json!([2011]));
        assert_eq!(next["size"], 1);
        let got: GetResponse<Movie> = parse(&http::Response::new(
            br#"{"_index":"movies","_id":"9","found":false}"#.to_vec(),
        ))
        .unwrap();
        assert!(!got.found && got.source.is_none());
    }
}
