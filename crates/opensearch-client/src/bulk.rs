//! `_bulk`: an NDJSON body built in place, the typed answer with each
//! item's outcome, and [`BulkIndexer`], which takes operations one at a
//! time, sends them in batches bounded by count and bytes, and reports the
//! items that failed with their position in the input.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::request::ApiRequest;
use crate::{Client, client};

/// The NDJSON body of one `_bulk` request: an action line, then (but for
/// `delete`) a source line, each ending in `\n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkBody {
    buf: Vec<u8>,
    ops: usize,
    // True while every operation names its document (so sending the body
    // twice cannot create duplicates).
    all_named: bool,
    // Whether the last operation named its document.
    last_named: bool,
}

#[derive(Serialize)]
struct Meta<'a> {
    #[serde(rename = "_index")]
    index: &'a str,
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    id: Option<&'a str>,
}

impl Default for BulkBody {
    fn default() -> Self {
        Self::new()
    }
}

impl BulkBody {
    /// An empty body.
    pub fn new() -> Self {
        Self {
            buf: Vec::new(),
            ops: 0,
            all_named: true,
            last_named: true,
        }
    }

    fn action(&mut self, action: &str, index: &str, id: Option<&str>) -> Result<(), Error> {
        self.buf.extend_from_slice(b"{\"");
        self.buf.extend_from_slice(action.as_bytes());
        self.buf.extend_from_slice(b"\":");
        serde_json::to_writer(&mut self.buf, &Meta { index, id }).map_err(encode)?;
        self.buf.extend_from_slice(b"}\n");
        self.all_named &= id.is_some();
        self.last_named = id.is_some();
        Ok(())
    }

    fn source<T: Serialize + ?Sized>(&mut self, doc: &T) -> Result<(), Error> {
        serde_json::to_writer(&mut self.buf, doc).map_err(encode)?;
        self.buf.push(b'\n');
        Ok(())
    }

    fn with_source<T: Serialize + ?Sized>(
        &mut self,
        action: &str,
        index: &str,
        id: Option<&str>,
        source: &T,
    ) -> Result<(), Error> {
        self.checked(|b| {
            b.action(action, index, id)?;
            b.source(source)
        })
    }

    fn checked(&mut self, write: impl FnOnce(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        let before = (self.buf.len(), self.all_named, self.last_named);
        match write(self) {
            Ok(()) => {
                self.ops += 1;
                Ok(())
            }
            Err(e) => {
                // Leave the body as it was: no half operation.
                self.buf.truncate(before.0);
                self.all_named = before.1;
                self.last_named = before.2;
                Err(e)
            }
        }
    }

    /// `index`: creates or replaces `doc` (with an id chosen by the server
    /// when `id` is `None`).
    pub fn index<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: Option<&str>,
        doc: &T,
    ) -> Result<(), Error> {
        self.with_source("index", index, id, doc)
    }

    /// `create`: adds `doc`, failing the item (409) if `id` exists.
    pub fn create<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: Option<&str>,
        doc: &T,
    ) -> Result<(), Error> {
        self.with_source("create", index, id, doc)
    }

    /// `update`: merges `partial` into document `id`.
    pub fn update<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: &str,
        partial: &T,
    ) -> Result<(), Error> {
        #[derive(Serialize)]
        struct Doc<'a, T: ?Sized> {
            doc: &'a T,
        }
        self.with_source("update", index, Some(id), &Doc { doc: partial })
    }

    /// `delete`: removes document `id`.
    pub fn delete(&mut self, index: &str, id: &str) -> Result<(), Error> {
        self.checked(|b| b.action("delete", index, Some(id)))
    }

    /// How many operations.
    pub fn len(&self) -> usize {
        self.ops
    }

    /// True when there is no operation.
    pub fn is_empty(&self) -> bool {
        self.ops == 0
    }

    /// The body's size in bytes.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// The NDJSON.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// `POST /_bulk` with this body (`application/x-ndjson`). It may be
    /// retried after a timeout or a 429/503 only when every operation names
    /// its document id.
    pub fn into_request(self) -> ApiRequest {
        let idempotent = self.all_named;
        let mut req = ApiRequest::new(http::Method::POST, "/_bulk").idempotent(idempotent);
        req.body = Some(self.buf);
        req.content_type = "application/x-ndjson";
        req
    }

    /// Moves the last operation, which starts at byte `at`, into a new
    /// body (this one stays conservative about ids).
    fn split_off(&mut self, at: usize) -> Self {
        let tail = self.buf.split_off(at);
        self.ops -= 1;
        Self {
            buf: tail,
            ops: 1,
            all_named: self.last_named,
            last_named: self.last_named,
        }
    }
}

fn encode(e: serde_json::Error) -> Error {
    Error::Encode(Box::new(e))
}

/// What `_bulk` answers.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BulkResponse {
    /// Milliseconds taken.
    #[serde(default)]
    pub took: u64,
    /// True when at least one item failed.
    pub errors: bool,
    /// One entry per operation, in order.
    pub items: Vec<BulkItem>,
}

/// One operation's outcome: `{"index": {…}}`, `{"create": {…}}`, …
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BulkItem {
    /// An `index` operation.
    Index(BulkItemResult),
    /// A `create` operation.
    Create(BulkItemResult),
    /// An `update` operation.
    Update(BulkItemResult),
    /// A `delete` operation.
    Delete(BulkItemResult),
}

impl BulkItem {
    /// The action's name.
    pub fn action(&self) -> &'static str {
        match self {
            BulkItem::Index(_) => "index",
            BulkItem::Create(_) => "create",
            BulkItem::Update(_) => "update",
            BulkItem::Delete(_) => "delete",
        }
    }

    /// The outcome.
    pub fn result(&self) -> &BulkItemResult {
        match self {
            BulkItem::Index(r)
            | BulkItem::Create(r)
            | BulkItem::Update(r)
            | BulkItem::Delete(r) => r,
        }
    }
}

/// The outcome of one bulk operation.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct BulkItemResult {
    /// The index.
    #[serde(rename = "_index", default)]
    pub index: String,
    /// The document id.
    #[serde(rename = "_id", default)]
    pub id: Option<String>,
    /// The item's HTTP status.
    pub status: u16,
    /// `created`, `updated`, `deleted`, `noop`, `not_found`.
    #[serde(default)]
    pub result: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<BulkItemError>,
}

/// A failed item's error.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct BulkItemError {
    /// `version_conflict_engine_exception`, `mapper_parsing_exception`, …
    #[serde(rename = "type", default)]
    pub error_type: String,
    /// What the server said.
    #[serde(default)]
    pub reason: String,
}

/// An item that failed, as [`BulkIndexer`] reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BulkFailure {
    /// Its position among all the operations given to the indexer (from 0).
    pub position: usize,
    /// `index`, `create`, `update` or `delete`.
    pub action: &'static str,
    /// The index.
    pub index: String,
    /// The document id, if known.
    pub id: Option<String>,
    /// The item's HTTP status (429 means it may be sent again later).
    pub status: u16,
    /// The error type.
    pub error_type: String,
    /// The server's words.
    pub reason: String,
}

/// What a [`BulkIndexer`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BulkReport {
    /// `_bulk` requests sent.
    pub requests: usize,
    /// Operations that succeeded.
    pub succeeded: usize,
    /// Operations that failed, in input order.
    pub failed: Vec<BulkFailure>,
}

/// Limits of one batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Operations per request.
    pub max_operations: usize,
    /// Bytes per request body (a single larger operation goes alone).
    pub max_bytes: usize,
}

impl Default for BatchLimits {
    /// 1,000 operations or 5 MiB, whichever comes first (the size the
    /// OpenSearch documentation suggests starting from).
    fn default() -> Self {
        Self {
            max_operations: 1000,
            max_bytes: 5 << 20,
        }
    }
}

/// Sends operations in batches as they come: each `add` serialises one
/// operation into the pending body and sends it once a limit is reached,
/// so memory stays at one batch whatever the input's size.
///
/// A request that fails as a whole (transport, 4xx/5xx after retries)
/// stops the indexer with that error; items that fail inside a successful
/// `_bulk` are collected in the [`BulkReport`].
#[derive(Debug)]
pub struct BulkIndexer<'c> {
    client: &'c Client,
    limits: BatchLimits,
    body: BulkBody,
    // Position of the first operation of `body`.
    first: usize,
    report: BulkReport,
}

impl<'c> BulkIndexer<'c> {
    /// An indexer sending through `client`.
    pub fn new(client: &'c Client, limits: BatchLimits) -> Self {
        Self {
            client,
            limits,
            body: BulkBody::new(),
            first: 0,
            report: BulkReport::default(),
        }
    }

    /// Writes one operation into the pending body, then sends what the
    /// limits say is due.
    async fn push(
        &mut self,
        write: impl FnOnce(&mut BulkBody) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let before = self.body.bytes();
        write(&mut self.body)?;
        if self.body.bytes() > self.limits.max_bytes && self.body.len() > 1 {
            // The new operation does not fit: send the others first.
            let tail = self.body.split_off(before);
            let full = std::mem::replace(&mut self.body, tail);
            self.send(full).await?;
        }
        if self.body.len() >= self.limits.max_operations
            || self.body.bytes() >= self.limits.max_bytes
        {
            self.flush().await?;
        }
        Ok(())
    }

    /// Adds an `index` operation.
    pub async fn index<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: Option<&str>,
        doc: &T,
    ) -> Result<(), Error> {
        self.push(|b| b.index(index, id, doc)).await
    }

    /// Adds a `create` operation.
    pub async fn create<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: Option<&str>,
        doc: &T,
    ) -> Result<(), Error> {
        self.push(|b| b.create(index, id, doc)).await
    }

    /// Adds an `update` operation.
    pub async fn update<T: Serialize + ?Sized>(
        &mut self,
        index: &str,
        id: &str,
        partial: &T,
    ) -> Result<(), Error> {
        self.push(|b| b.update(index, id, partial)).await
    }

    /// Adds a `delete` operation.
    pub async fn delete(&mut self, index: &str, id: &str) -> Result<(), Error> {
        self.push(|b| b.delete(index, id)).await
    }

    /// Sends what is pending now.
    pub async fn flush(&mut self) -> Result<(), Error> {
        let body = std::mem::take(&mut self.body);
        if body.is_empty() {
            return Ok(());
        }
        self.send(body).await
    }

    async fn send(&mut self, body: BulkBody) -> Result<(), Error> {
        let n = body.len();
        let first = self.first;
        self.first += n;
        let resp: BulkResponse = client::parse(&self.client.send(&body.into_request()).await?)?;
        self.report.requests += 1;
        if resp.items.len() != n {
            return Err(Error::Decode {
                status: 200,
                message: format!(
                    "_bulk answered {} items for {n} operations",
                    resp.items.len()
                ),
                source: None,
            });
        }
        for (k, item) in resp.items.iter().enumerate() {
            let r = item.result();
            // An item without `error` reached its goal (a delete of a
            // missing document answers 404 `not_found`, not an error).
            match &r.error {
                None => self.report.succeeded += 1,
                error => self.report.failed.push(BulkFailure {
                    position: first + k,
                    action: item.action(),
                    index: r.index.clone(),
                    id: r.id.clone(),
                    status: r.status,
                    error_type: error
                        .as_ref()
                        .map(|e| e.error_type.clone())
                        .unwrap_or_default(),
                    reason: error.as_ref().map(|e| e.reason.clone()).unwrap_or_default(),
                }),
            }
        }
        Ok(())
    }

    /// Sends what is pending and returns the report.
    pub async fn finish(mut self) -> Result<BulkReport, Error> {
        self.flush().await?;
        Ok(self.report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ndjson_lines() {
        let mut b = BulkBody::new();
        b.index("movies", Some("1"), &serde_json::json!({"title": "Alien"}))
            .unwrap();
        b.create("movies", None, &serde_json::json!({"title": "Heat"}))
            .unwrap();
        b.update("movies", "1", &serde_json::json!({"year": 1979}))
            .unwrap();
        b.delete("movies", "2").unwrap();
        assert_eq!(b.len(), 4);
        assert_eq!(
            std::str::from_utf8(b.as_bytes()).unwrap(),
            concat!(
                "{\"index\":{\"_index\":\"movies\",\"_id\":\"1\"}}\n",
                "{\"title\":\"Alien\"}\n",
                "{\"create\":{\"_index\":\"movies\"}}\n",
                "{\"title\":\"Heat\"}\n",
                "{\"update\":{\"_index\":\"movies\",\"_id\":\"1\"}}\n",
                "{\"doc\":{\"year\":1979}}\n",
                "{\"delete\":{\"_index\":\"movies\",\"_id\":\"2\"}}\n",
            )
        );
        // Every line is JSON on its own.
        for line in b
            .as_bytes()
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
        {
            serde_json::from_slice::<serde_json::Value>(line).unwrap();
        }
        let req = b.into_request();
        assert_eq!(req.idempotent, Some(false), "a create without id");
        assert_eq!(req.content_type, "application/x-ndjson");
        // A default body (the indexer's next batch) starts as new() does.
        assert_eq!(BulkBody::default(), BulkBody::new());
        let mut named = BulkBody::new();
        named.delete("movies", "1").unwrap();
        assert_eq!(named.clone().into_request().idempotent, Some(true));
        // Split: the moved operation keeps its own answer.
        let at = named.bytes();
        named.index("movies", None, &1).unwrap();
        let tail = named.split_off(at);
        assert_eq!((named.len(), tail.len()), (1, 1));
        assert_eq!(tail.into_request().idempotent, Some(false));
    }

    #[test]
    fn a_document_that_does_not_encode_leaves_no_trace() {
        struct Bad;
        impl Serialize for Bad {
            fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
                Err(serde::ser::Error::custom("no"))
            }
        }
        let mut b = BulkBody::new();
        b.delete("i", "1").unwrap();
        let before = b.clone();
        assert!(b.index("i", None, &Bad).is_err());
        assert_eq!(b, before);
    }

    #[test]
    fn response_items() {
        let r: BulkResponse = serde_json::from_str(
            r#"{"took":3,"errors":true,"items":[
              {"index":{"_index":"m","_id":"1","_version":1,"result":"created","status":201}},
              {"create":{"_index":"m","_id":"1","status":409,"error":{"type":"version_conflict_engine_exception","reason":"[1]: version conflict, document already exists","index":"m"}}},
              {"delete":{"_index":"m","_id":"9","result":"not_found","status":404}}]}"#,
        )
        .unwrap();
        assert!(r.errors);
        assert_eq!(r.items[1].action(), "create");
        assert_eq!(r.items[1].result().status, 409);
        assert_eq!(
            r.items[1].result().error.as_ref().unwrap().error_type,
            "version_conflict_engine_exception"
        );
        assert_eq!(r.items[2].result().result.as_deref(), Some("not_found"));
    }
}
