//! One request as a probe sends it, every part explicit (no cookie jar, no redirects), and the
//! answer as it came: status, content type and body text.

use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listener {
    Public,
    Admin,
}

#[derive(Debug, Clone)]
pub enum Body {
    Json(Value),
    /// Bytes sent as they are, with this content type.
    Raw(&'static str, String),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub listener: Listener,
    pub method: String,
    /// The path with its parameters filled in.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Body>,
}

impl Request {
    pub fn new(listener: Listener, method: &str, path: impl Into<String>) -> Request {
        Request {
            listener,
            method: method.to_string(),
            path: path.into(),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn query(mut self, name: &str, value: impl Into<String>) -> Request {
        self.query.push((name.to_string(), value.into()));
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Request {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    pub fn json(mut self, body: Value) -> Request {
        self.body = Some(Body::Json(body));
        self
    }

    pub fn without_query(mut self, name: &str) -> Request {
        self.query.retain(|(k, _)| k != name);
        self
    }

    pub fn without_header(mut self, name: &str) -> Request {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
        self
    }

    pub fn query_value(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The request line as a reader of a failure report wants it.
    pub fn describe(&self) -> String {
        let mut line = format!("{} {}", self.method, self.path);
        if !self.query.is_empty() {
            let q: Vec<String> = self.query.iter().map(|(k, v)| format!("{k}={v}")).collect();
            line.push('?');
            line.push_str(&q.join("&"));
        }
        line
    }

    pub fn send(&self, public: &str, admin: &str) -> Answer {
        let base = match self.listener {
            Listener::Public => public,
            Listener::Admin => admin,
        };
        let mut url = url::Url::parse(&format!("{base}{}", self.path)).expect("a valid URL");
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .timeout(Duration::from_secs(30))
            .build();
        let mut req = agent.request_url(&self.method, &url);
        // Clients of the API (the SDKs, SPAs) ask for JSON; Kratos answers them in JSON, and
        // with redirects only for page loads.
        if self.header_value("Accept").is_none() {
            req = req.set("Accept", "application/json");
        }
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let result = match &self.body {
            None => req.call(),
            Some(Body::Json(v)) => req
                .set("Content-Type", "application/json")
                .send_string(&v.to_string()),
            Some(Body::Raw(content_type, text)) => {
                req.set("Content-Type", content_type).send_string(text)
            }
        };
        let resp = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{}: {e}", self.describe()),
        };
        let status = resp.status();
        let content_type = resp.header("content-type").unwrap_or("").to_string();
        let location = resp.header("location").map(str::to_owned);
        let set_cookies = resp
            .all("set-cookie")
            .into_iter()
            .map(str::to_owned)
            .collect();
        let text = resp.into_string().unwrap_or_default();
        Answer {
            status,
            content_type,
            set_cookies,
            location,
            json: serde_json::from_str(&text).ok(),
            text,
        }
    }
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub set_cookies: Vec<String>,
    pub location: Option<String>,
    pub text: String,
    pub json: Option<Value>,
}

impl Answer {
    pub fn error_id(&self) -> Option<&str> {
        self.json.as_ref()?.pointer("/error/id")?.as_str()
    }

    /// `name=value` of a `Set-Cookie` header, for the next request's `Cookie` header.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.set_cookies.iter().find_map(|c| {
            let pair = c.split(';').next()?.trim();
            let (k, _) = pair.split_once('=')?;
            (k == name).then(|| pair.to_string())
        })
    }
}
