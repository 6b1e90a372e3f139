//! The few self-service calls the benchmark makes, over one keep-alive connection per `Api`.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::time::Duration;

pub struct Api {
    agent: ureq::Agent,
    base: String,
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> anyhow::Result<Value> {
        serde_json::from_str(&self.body)
            .with_context(|| format!("status {}, body {:?}", self.status, self.body))
    }
}

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            agent: ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(10))
                .build(),
            base: base.to_string(),
        }
    }

    fn send(&self, req: ureq::Request, body: Option<Value>) -> anyhow::Result<Reply> {
        let result = match body {
            Some(b) => req.send_json(b),
            None => req.call(),
        };
        // 4xx and 5xx are answers to look at, not transport failures.
        let resp = match result {
            Ok(r) | Err(ureq::Error::Status(_, r)) => r,
            Err(e) => return Err(e.into()),
        };
        let status = resp.status();
        Ok(Reply {
            status,
            body: resp.into_string()?,
        })
    }

    pub fn get(&self, path: &str, token: Option<&str>) -> anyhow::Result<Reply> {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.set("X-Session-Token", t);
        }
        self.send(req, None)
    }

    fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.send(self.agent.post(&format!("{}{path}", self.base)), Some(body))
    }

    fn flow_id(&self, path: &str) -> anyhow::Result<String> {
        let reply = self.get(path, None)?;
        if reply.status != 200 {
            bail!("GET {path}: {} {}", reply.status, reply.body);
        }
        reply.json()?["id"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("GET {path}: no flow id"))
    }

    /// Registers through the API flow and returns the new session's token.
    pub fn register(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let flow = self.flow_id("/self-service/registration/api")?;
        let reply = self.post(
            &format!("/self-service/registration?flow={flow}"),
            json!({ "method": "password", "traits": { "email": email }, "password": password }),
        )?;
        if reply.status != 200 {
            bail!("registration: {} {}", reply.status, reply.body);
        }
        reply.json()?["session_token"]
            .as_str()
            .map(str::to_owned)
            .context("registration answered without a session token")
    }

    pub fn start_recovery(&self) -> anyhow::Result<String> {
        self.flow_id("/self-service/recovery/api")
    }

    /// Asks for a recovery code for `email` in flow `flow`.
    pub fn submit_recovery_email(&self, flow: &str, email: &str) -> anyhow::Result<Reply> {
        self.post(
            &format!("/self-service/recovery?flow={flow}"),
            json!({ "method": "code", "email": email }),
        )
    }

    pub fn start_login(&self) -> anyhow::Result<String> {
        self.flow_id("/self-service/login/api")
    }

    pub fn submit_login(
        &self,
        flow: &str,
        identifier: &str,
        password: &str,
    ) -> anyhow::Result<Reply> {
        self.post(
            &format!("/self-service/login?flow={flow}"),
            json!({ "method": "password", "identifier": identifier, "password": password }),
        )
    }

    /// Revokes the session of `token` (`DELETE /self-service/logout/api`).
    pub fn logout(&self, token: &str) -> anyhow::Result<Reply> {
        self.send(
            self.agent
                .delete(&format!("{}/self-service/logout/api", self.base)),
            Some(json!({ "session_token": token })),
        )
    }
}
