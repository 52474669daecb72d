//! What every generated builder shares: the parameters set so far, the
//! choice of method and path among a group's alternatives, and the
//! conversions `request_by_name` makes from JSON.

use crate::ApiRequest;
use crate::error::Error;
use crate::request::segment;

/// One or more names or ids (indices, aliases, nodes, fields), sent joined
/// by commas: `"logs"`, `["logs-1", "logs-2"]`, `vec![…]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List(pub Vec<String>);

impl List {
    /// The items joined by commas, as a query parameter carries them.
    pub fn joined(&self) -> String {
        self.0.join(",")
    }
}

impl From<&str> for List {
    fn from(s: &str) -> Self {
        List(vec![s.to_string()])
    }
}

impl From<String> for List {
    fn from(s: String) -> Self {
        List(vec![s])
    }
}

impl From<&String> for List {
    fn from(s: &String) -> Self {
        List(vec![s.clone()])
    }
}

impl<S: Into<String>> From<Vec<S>> for List {
    fn from(v: Vec<S>) -> Self {
        List(v.into_iter().map(Into::into).collect())
    }
}

impl<S: Into<String>, const N: usize> From<[S; N]> for List {
    fn from(v: [S; N]) -> Self {
        List(v.into_iter().map(Into::into).collect())
    }
}

impl<S: Into<String> + Clone> From<&[S]> for List {
    fn from(v: &[S]) -> Self {
        List(v.iter().cloned().map(Into::into).collect())
    }
}

/// One method and path template of an operation group.
#[derive(Debug)]
pub(crate) struct Route {
    pub(crate) method: &'static str,
    pub(crate) path: &'static str,
    /// The path parameters of `path`, in order.
    pub(crate) params: &'static [&'static str],
    pub(crate) deprecated: bool,
}

/// An operation group: its routes, in the specification's order.
#[derive(Debug)]
pub(crate) struct Group {
    pub(crate) name: &'static str,
    pub(crate) routes: &'static [Route],
    pub(crate) body_required: bool,
}

/// What every builder takes besides its own parameters: the query
/// parameters of every operation (`pretty`, `human`, `error_trace`,
/// `filter_path`) and any other by name.
///
/// ```
/// use opensearch_client::ops::{Common, cat};
///
/// let req = cat::indices().pretty(true).param("bytes", "mb").build()?;
/// assert_eq!(req.path_and_query(), "/_cat/indices?pretty=true&bytes=mb");
/// # Ok::<(), opensearch_client::error::Error>(())
/// ```
pub trait Common: Sized {
    /// The builder's parameters (the generated code's, not for callers).
    #[doc(hidden)]
    fn parts_mut(&mut self) -> &mut Parts;

    /// Any query parameter by name (one the specification does not list).
    fn param(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parts_mut().query(name, value.into());
        self
    }

    /// `pretty`: whether to pretty-format the returned JSON.
    fn pretty(mut self, value: bool) -> Self {
        self.parts_mut().query("pretty", value.to_string());
        self
    }

    /// `human`: whether to return human-readable values for statistics.
    fn human(mut self, value: bool) -> Self {
        self.parts_mut().query("human", value.to_string());
        self
    }

    /// `error_trace`: whether to include the stack trace of returned
    /// errors.
    fn error_trace(mut self, value: bool) -> Self {
        self.parts_mut().query("error_trace", value.to_string());
        self
    }

    /// `filter_path`: filters on the response's fields (wildcards; `-`
    /// excludes).
    fn filter_path(mut self, value: impl Into<List>) -> Self {
        let joined = value.into().joined();
        self.parts_mut().query("filter_path", joined);
        self
    }

    /// `source`: the body as a query parameter, for clients that cannot
    /// send one on GET.
    fn source(mut self, value: impl Into<String>) -> Self {
        self.parts_mut().query("source", value.into());
        self
    }
}

/// The parameters and body set on a builder (inside the generated code).
#[doc(hidden)]
#[derive(Clone, Debug, Default)]
pub struct Parts {
    path: Vec<(&'static str, List)>,
    query: Vec<(String, String)>,
    body: Option<(&'static str, Vec<u8>)>,
    /// The method asked for, among the group's.
    method: Option<http::Method>,
    /// A body that could not be serialised: reported by `build`.
    error: Option<String>,
}

impl Parts {
    pub(crate) fn path(&mut self, name: &'static str, value: List) {
        self.path.retain(|(n, _)| *n != name);
        self.path.push((name, value));
    }

    pub(crate) fn query(&mut self, name: &str, value: String) {
        self.query.retain(|(n, _)| n != name);
        self.query.push((name.to_string(), value));
    }

    pub(crate) fn json<T: serde::Serialize + ?Sized>(&mut self, body: &T) {
        match serde_json::to_vec(body) {
            Ok(b) => self.body = Some(("application/json", b)),
            Err(e) => self.error = Some(e.to_string()),
        }
    }

    pub(crate) fn ndjson<I, T>(&mut self, lines: I)
    where
        I: IntoIterator<Item = T>,
        T: serde::Serialize,
    {
        let mut out = Vec::new();
        for line in lines {
            if let Err(e) = serde_json::to_writer(&mut out, &line) {
                self.error = Some(e.to_string());
                return;
            }
            out.push(b'\n');
        }
        self.body = Some(("application/x-ndjson", out));
    }

    pub(crate) fn method(&mut self, method: http::Method) {
        self.method = Some(method);
    }

    pub(crate) fn bytes(&mut self, content_type: &'static str, bytes: Vec<u8>) {
        self.body = Some((content_type, bytes));
    }

    /// The request: among the routes whose path parameters are exactly
    /// those set (deprecated ones last), a method that takes a body when
    /// there is one, else GET when offered, else the first.
    pub(crate) fn build(self, group: &Group) -> Result<ApiRequest, Error> {
        if let Some(e) = self.error {
            return Err(Error::Request(format!(
                "{}: the body does not serialise to JSON: {e}",
                group.name
            )));
        }
        if group.body_required && self.body.is_none() {
            return Err(Error::Request(format!(
                "{} needs a body (set it with .body(…))",
                group.name
            )));
        }
        let set = |name: &str| self.path.iter().any(|(n, _)| *n == name);
        let mut fits: Vec<&Route> = group
            .routes
            .iter()
            .filter(|r| r.params.len() == self.path.len() && r.params.iter().all(|p| set(p)))
            .collect();
        fits.sort_by_key(|r| r.deprecated);
        let has_body = self.body.is_some();
        let route = if let Some(m) = &self.method {
            let found = fits.iter().copied().find(|r| r.method == m.as_str());
            if found.is_none() && !fits.is_empty() {
                return Err(Error::Request(format!(
                    "{}: no {m} path takes these path parameters; the method is one of {}",
                    group.name,
                    fits.iter().map(|r| r.method).collect::<Vec<_>>().join(", ")
                )));
            }
            found
        } else if has_body {
            fits.iter()
                .copied()
                .find(|r| !matches!(r.method, "GET" | "HEAD"))
                .or(fits.first().copied())
        } else {
            fits.iter()
                .copied()
                .find(|r| r.method == "GET")
                .or(fits.first().copied())
        };
        let Some(route) = route else {
            let given: Vec<&str> = self.path.iter().map(|(n, _)| *n).collect();
            let offered: Vec<String> = group
                .routes
                .iter()
                .map(|r| format!("{} {}", r.method, r.path))
                .collect();
            return Err(Error::Request(format!(
                "{}: no path of the operation takes exactly the path parameters set ({}); its paths: {}",
                group.name,
                if given.is_empty() {
                    "none".to_string()
                } else {
                    given.join(", ")
                },
                offered.join(", ")
            )));
        };
        let mut path = String::with_capacity(route.path.len() + 16);
        let mut rest = route.path;
        while let Some(open) = rest.find('{') {
            path.push_str(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .map(|c| open + c)
                .unwrap_or(rest.len() - 1);
            let name = &rest[open + 1..close];
            let value = self
                .path
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v)
                .ok_or_else(|| Error::Request(format!("{}: {name} is not set", group.name)))?;
            if value.0.is_empty() || value.0.iter().any(String::is_empty) {
                return Err(Error::Request(format!(
                    "{}: the path parameter {name} is empty",
                    group.name
                )));
            }
            let encoded: Vec<String> = value.0.iter().map(|s| segment(s)).collect();
            path.push_str(&encoded.join(","));
            rest = &rest[close + 1..];
        }
        path.push_str(rest);
        let method = http::Method::from_bytes(route.method.as_bytes())
            .map_err(|_| Error::Request(format!("{}: bad method {}", group.name, route.method)))?;
        let mut req = ApiRequest::new(method, path);
        req.query = self.query;
        if let Some((content_type, body)) = self.body {
            req.content_type = content_type;
            req.body = Some(body);
        }
        Ok(req)
    }
}

#[cfg(feature = "by-name")]
pub(crate) use json::*;

/// What `request_by_name` needs: JSON values read as the builders'
/// argument types.
#[cfg(feature = "by-name")]
mod json {
    use serde_json::Value;

    use super::List;
    use crate::error::Error;

    /// A JSON value as one of the builders' argument types.
    pub(crate) trait FromJson: Sized {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error>;
    }

    fn wrong(name: &str, want: &str, v: &Value) -> Error {
        Error::Request(format!("parameter {name}: expected {want}, got {v}"))
    }

    impl FromJson for String {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            scalar(name, v)
        }
    }

    impl FromJson for List {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            match v {
                Value::Array(items) => items
                    .iter()
                    .map(|i| scalar(name, i))
                    .collect::<Result<Vec<_>, _>>()
                    .map(List),
                other => Ok(List(vec![scalar(name, other)?])),
            }
        }
    }

    impl FromJson for bool {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            match v {
                Value::Bool(b) => Ok(*b),
                Value::String(s) if s == "true" || s == "false" => Ok(s == "true"),
                other => Err(wrong(name, "a boolean", other)),
            }
        }
    }

    impl FromJson for i64 {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            match v {
                Value::Number(n) => n.as_i64().ok_or_else(|| wrong(name, "an integer", v)),
                Value::String(s) => s.parse().map_err(|_| wrong(name, "an integer", v)),
                other => Err(wrong(name, "an integer", other)),
            }
        }
    }

    impl FromJson for f64 {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            match v {
                Value::Number(n) => n.as_f64().ok_or_else(|| wrong(name, "a number", v)),
                Value::String(s) => s.parse().map_err(|_| wrong(name, "a number", v)),
                other => Err(wrong(name, "a number", other)),
            }
        }
    }

    /// A string enum of the specification, read from its name.
    pub(crate) fn enum_from_json<T: std::str::FromStr<Err = String>>(
        name: &str,
        v: &Value,
    ) -> Result<T, Error> {
        scalar(name, v)?
            .parse()
            .map_err(|e| Error::Request(format!("parameter {name}: {e}")))
    }

    impl<T: std::str::FromStr<Err = String>> FromJson for Vec<T> {
        fn from_json(name: &str, v: &Value) -> Result<Self, Error> {
            List::from_json(name, v)?
                .0
                .iter()
                .map(|s| {
                    s.parse()
                        .map_err(|e| Error::Request(format!("parameter {name}: {e}")))
                })
                .collect()
        }
    }

    /// A required parameter.
    pub(crate) fn required<T: FromJson>(
        params: &serde_json::Map<String, Value>,
        name: &str,
    ) -> Result<T, Error> {
        let v = params
            .get(name)
            .ok_or_else(|| Error::Request(format!("parameter {name} is required")))?;
        T::from_json(name, v)
    }

    /// An optional parameter.
    pub(crate) fn optional<T: FromJson>(
        params: &serde_json::Map<String, Value>,
        name: &str,
    ) -> Result<Option<T>, Error> {
        params.get(name).map(|v| T::from_json(name, v)).transpose()
    }

    /// A query parameter's text: strings as they are, numbers and booleans
    /// as JSON writes them, arrays joined by commas.
    pub(crate) fn scalar(name: &str, v: &Value) -> Result<String, Error> {
        match v {
            Value::String(s) => Ok(s.clone()),
            Value::Bool(b) => Ok(b.to_string()),
            Value::Number(n) => Ok(n.to_string()),
            Value::Array(items) => Ok(items
                .iter()
                .map(|i| scalar(name, i))
                .collect::<Result<Vec<_>, _>>()?
                .join(",")),
            other => Err(wrong(name, "a string, number, boolean or array", other)),
        }
    }

    /// An NDJSON body given as a JSON array of lines.
    pub(crate) fn lines(body: &Value) -> Result<Vec<Value>, Error> {
        match body {
            Value::Array(items) => Ok(items.clone()),
            other => Err(Error::Request(format!(
                "an NDJSON body is given as an array of lines, got {other}"
            ))),
        }
    }

    /// A text body (a string); only some plugin namespaces take one.
    #[allow(dead_code)]
    pub(crate) fn text(body: &Value) -> Result<Vec<u8>, Error> {
        match body {
            Value::String(s) => Ok(s.clone().into_bytes()),
            other => Ok(other.to_string().into_bytes()),
        }
    }

    /// The error for a method the operation does not have.
    pub(crate) fn wrong_method(group: &str, method: &http::Method) -> Error {
        Error::Request(format!("{group} has no {method} path"))
    }

    /// The error for a body given to an operation that takes none.
    pub(crate) fn no_body(group: &str) -> Error {
        Error::Request(format!("{group} takes no body"))
    }
}
