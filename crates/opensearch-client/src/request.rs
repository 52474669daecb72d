//! One API call, independent of the node it goes to.

use cred_providers::encoding::encode;

use crate::error::Error;

/// Percent-encodes one path segment (an index or role name).
pub(crate) fn segment(s: &str) -> String {
    encode(s)
}

/// A method, a path, query parameters and a JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    /// The method.
    pub method: http::Method,
    /// The path, its segments already encoded.
    pub path: String,
    /// Query parameters, not yet encoded.
    pub query: Vec<(String, String)>,
    /// The body, if any.
    pub body: Option<Vec<u8>>,
    /// The body's media type (`application/json`, or `application/x-ndjson`
    /// for `_bulk`).
    pub content_type: &'static str,
    /// Whether the request may be sent again after a timeout or a 429/503;
    /// `None` decides by method (GET, HEAD, PUT, DELETE may).
    pub idempotent: Option<bool>,
}

impl ApiRequest {
    /// A request without query or body.
    pub fn new(method: http::Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            content_type: "application/json",
            idempotent: None,
        }
    }

    /// With a JSON body.
    pub fn json<T: serde::Serialize>(mut self, body: &T) -> Result<Self, Error> {
        self.body = Some(serde_json::to_vec(body).map_err(|e| Error::Encode(Box::new(e)))?);
        Ok(self)
    }

    /// Marks the request as safe (or not) to send twice, whatever its
    /// method (a search is a POST that may be repeated).
    pub fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = Some(yes);
        self
    }

    /// With a query parameter.
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// The path and query, encoded.
    pub fn path_and_query(&self) -> String {
        let mut out = self.path.clone();
        for (i, (k, v)) in self.query.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(&segment(k));
            out.push('=');
            out.push_str(&segment(v));
        }
        out
    }

    /// The `http::Request` against `node` (`https://host:port`, maybe
    /// with a path prefix); a body gets its `content-type`.
    pub fn to_http(&self, node: &str) -> Result<http::Request<Vec<u8>>, Error> {
        self.to_http_with(node, self.body.clone(), None)
    }

    /// [`ApiRequest::to_http`] with `body` in place of the request's own
    /// (already encoded with `content_encoding`, e.g. `gzip`).
    pub(crate) fn to_http_with(
        &self,
        node: &str,
        body: Option<Vec<u8>>,
        content_encoding: Option<&'static str>,
    ) -> Result<http::Request<Vec<u8>>, Error> {
        let url = format!("{}{}", node.trim_end_matches('/'), self.path_and_query());
        let mut b = http::Request::builder()
            .method(self.method.clone())
            .uri(url.as_str());
        if body.is_some() {
            b = b.header(http::header::CONTENT_TYPE, self.content_type);
            if let Some(enc) = content_encoding {
                b = b.header(http::header::CONTENT_ENCODING, enc);
            }
        }
        b.body(body.unwrap_or_default())
            .map_err(|e| Error::Request(format!("bad URL {url}: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_segments_and_query() {
        let r = ApiRequest::new(
            http::Method::GET,
            format!("/{}/_doc/{}", segment("my index"), segment("a/b")),
        )
        .param("q", "title:rust & co");
        assert_eq!(
            r.path_and_query(),
            "/my%20index/_doc/a%2Fb?q=title%3Arust%20%26%20co"
        );
        let h = r.to_http("https://localhost:9200/").unwrap();
        assert_eq!(
            h.uri().to_string(),
            "https://localhost:9200/my%20index/_doc/a%2Fb?q=title%3Arust%20%26%20co"
        );
        assert!(h.headers().get("content-type").is_none());
    }
}
