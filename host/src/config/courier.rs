//! `courier.*`: how outgoing messages are rendered and delivered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::ConfigError;
use super::schema_source::{self, Read};
use super::secret::Secret;
use super::units::deserialize_duration;

/// The resolved `courier` section.
#[derive(Clone, Debug)]
pub struct Courier {
    pub smtp: Smtp,
    /// Failed attempts after which a message is abandoned.
    pub message_retries: u32,
    pub worker: CourierWorker,
    pub template_override_path: Option<PathBuf>,
    /// `courier.templates.<kind>.<valid|invalid>`, keyed `"<kind>.<valid|invalid>"`
    /// (`"recovery_code.valid"`), with the template texts read.
    pub templates: BTreeMap<String, TemplateTexts>,
    pub delivery: Delivery,
    /// `courier.channels[]`, by id.
    pub channels: BTreeMap<String, HttpRequest>,
}

#[derive(Clone, Debug)]
pub struct Smtp {
    /// Holds the password when there is one.
    pub connection_uri: Option<Secret>,
    pub from_address: String,
    pub from_name: Option<String>,
    pub headers: BTreeMap<String, String>,
    pub local_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CourierWorker {
    /// Messages claimed at once.
    pub pull_count: usize,
    /// The pause between two looks at the queue when it was empty.
    pub pull_wait: Duration,
}

/// Template texts a config names; `None` keeps the override directory's or the built-in one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TemplateTexts {
    pub email_subject: Option<String>,
    pub email_body_plaintext: Option<String>,
    pub email_body_html: Option<String>,
    pub sms_body: Option<String>,
}

/// `courier.delivery_strategy`: how email leaves.
#[derive(Clone, Debug)]
pub enum Delivery {
    Smtp,
    Http(HttpRequest),
}

/// Kratos' `httpRequestConfig`. Its Jsonnet `body` is refused: there is no Jsonnet evaluator
/// here, and the default JSON payload is sent instead.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub url: Url,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    pub auth: Option<HttpAuth>,
}

#[derive(Clone, Debug)]
pub enum HttpAuth {
    Basic {
        user: String,
        password: Secret,
    },
    ApiKey {
        name: String,
        value: Secret,
        in_cookie: bool,
    },
}

/// The section as written.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct RawCourier {
    smtp: RawSmtp,
    message_retries: Option<u32>,
    worker: RawWorker,
    template_override_path: Option<PathBuf>,
    templates: BTreeMap<String, BTreeMap<String, RawTemplateSet>>,
    delivery_strategy: Option<String>,
    http: Option<RawHttp>,
    channels: Vec<RawChannel>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawSmtp {
    #[serde(deserialize_with = "optional_credential")]
    connection_uri: Option<Secret>,
    client_cert_path: String,
    client_key_path: String,
    from_address: Option<String>,
    from_name: Option<String>,
    headers: BTreeMap<String, String>,
    local_name: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawWorker {
    pull_count: Option<usize>,
    #[serde(deserialize_with = "optional_duration")]
    pull_wait: Option<Duration>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawTemplateSet {
    email: RawEmailTemplates,
    sms: RawSmsTemplates,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawEmailTemplates {
    subject: Option<String>,
    body: RawBody,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawSmsTemplates {
    body: RawBody,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct RawBody {
    plaintext: Option<String>,
    html: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    request_config: RawHttpRequest,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChannel {
    id: String,
    #[serde(rename = "type", default = "http_type")]
    kind: String,
    request_config: RawHttpRequest,
}

fn http_type() -> String {
    "http".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttpRequest {
    url: String,
    #[serde(default = "post")]
    method: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    auth: Option<RawAuth>,
}

fn post() -> String {
    "POST".into()
}

#[derive(Deserialize)]
#[serde(
    tag = "type",
    content = "config",
    rename_all = "snake_case",
    deny_unknown_fields
)]
enum RawAuth {
    BasicAuth {
        user: String,
        #[serde(deserialize_with = "credential")]
        password: Secret,
    },
    ApiKey {
        name: String,
        #[serde(deserialize_with = "credential")]
        value: Secret,
        #[serde(rename = "in")]
        location: String,
    },
}

/// Passwords and API keys of other services are as long as those services make them: unlike
/// `secrets.*`, no minimum length applies.
fn credential<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret::new)
}

fn optional_credential<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Secret>, D::Error> {
    Ok(Option::<String>::deserialize(d)?.map(Secret::new))
}

fn optional_duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "deserialize_duration")] Duration);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(d)| d))
}

/// Kratos' defaults.
const MESSAGE_RETRIES: u32 = 5;
const PULL_COUNT: usize = 10;
const PULL_WAIT: Duration = Duration::from_secs(1);
const FROM_ADDRESS: &str = "no-reply@ory.kratos.sh";

impl RawCourier {
    /// `override_base` and `templates_base` are the directories of the config files that set
    /// `courier.template_override_path` and `courier.templates`.
    pub(super) fn resolve(
        self,
        override_base: &Path,
        templates_base: &Path,
    ) -> Result<Courier, ConfigError> {
        let smtp = self.smtp.resolve()?;
        let worker = CourierWorker {
            pull_count: self.worker.pull_count.unwrap_or(PULL_COUNT),
            pull_wait: self.worker.pull_wait.unwrap_or(PULL_WAIT),
        };
        if worker.pull_count == 0 {
            return Err(ConfigError::invalid(
                "courier.worker.pull_count",
                "must be at least 1",
            ));
        }
        let delivery = match self.delivery_strategy.as_deref().unwrap_or("smtp") {
            "smtp" => Delivery::Smtp,
            "http" => {
                let http = self.http.ok_or_else(|| {
                    ConfigError::invalid(
                        "courier.http.request_config",
                        "is required when courier.delivery_strategy is `http`",
                    )
                })?;
                Delivery::Http(http.request_config.resolve("courier.http.request_config")?)
            }
            other => {
                return Err(ConfigError::invalid(
                    "courier.delivery_strategy",
                    format!("must be `smtp` or `http`, got `{other}`"),
                ));
            }
        };
        let mut channels = BTreeMap::new();
        for (index, channel) in self.channels.into_iter().enumerate() {
            let key = format!("courier.channels[{index}]");
            if channel.kind != "http" {
                return Err(ConfigError::invalid(
                    format!("{key}.type"),
                    format!("only `http` channels are supported, got `{}`", channel.kind),
                ));
            }
            if channel.id == "email" {
                return Err(ConfigError::invalid(
                    format!("{key}.id"),
                    "`email` is the SMTP or HTTP delivery of courier.delivery_strategy",
                ));
            }
            let request = channel
                .request_config
                .resolve(&format!("{key}.request_config"))?;
            if channels.insert(channel.id.clone(), request).is_some() {
                return Err(ConfigError::invalid(
                    format!("{key}.id"),
                    format!("channel `{}` is configured twice", channel.id),
                ));
            }
        }
        let mut templates = BTreeMap::new();
        for (kind, sets) in self.templates {
            for (validity, set) in sets {
                let key = format!("{kind}.{validity}");
                let path = format!("courier.templates.{key}");
                let read = |part: &str, url: Option<String>| {
                    url.map(|url| read_template(&url, templates_base, &format!("{path}.{part}")))
                        .transpose()
                };
                if set.sms.body.html.is_some() {
                    return Err(ConfigError::invalid(
                        format!("{path}.sms.body.html"),
                        "SMS bodies are plain text; use sms.body.plaintext",
                    ));
                }
                let texts = TemplateTexts {
                    email_subject: read("email.subject", set.email.subject)?,
                    email_body_plaintext: read("email.body.plaintext", set.email.body.plaintext)?,
                    email_body_html: read("email.body.html", set.email.body.html)?,
                    sms_body: read("sms.body.plaintext", set.sms.body.plaintext)?,
                };
                templates.insert(key, texts);
            }
        }
        Ok(Courier {
            smtp,
            message_retries: self.message_retries.unwrap_or(MESSAGE_RETRIES),
            worker,
            template_override_path: self.template_override_path.map(|p| override_base.join(p)),
            templates,
            delivery,
            channels,
        })
    }
}

impl RawSmtp {
    fn resolve(self) -> Result<Smtp, ConfigError> {
        // Without the certificate the server would refuse every message; better to say so now.
        for (key, value) in [
            ("client_cert_path", &self.client_cert_path),
            ("client_key_path", &self.client_key_path),
        ] {
            if !value.is_empty() {
                return Err(ConfigError::invalid(
                    format!("courier.smtp.{key}"),
                    "SMTP client certificates are not supported; authenticate with a user and \
                     password in courier.smtp.connection_uri",
                ));
            }
        }
        if let Some(uri) = &self.connection_uri {
            let scheme = uri.expose().split("://").next().unwrap_or_default();
            if !matches!(scheme, "smtp" | "smtps") {
                return Err(ConfigError::invalid(
                    "courier.smtp.connection_uri",
                    "must start with smtp:// or smtps://",
                ));
            }
        }
        Ok(Smtp {
            connection_uri: self.connection_uri,
            from_address: self.from_address.unwrap_or_else(|| FROM_ADDRESS.into()),
            from_name: self.from_name.filter(|name| !name.is_empty()),
            headers: self.headers,
            local_name: self.local_name.unwrap_or_else(|| "localhost".into()),
        })
    }
}

impl RawHttpRequest {
    fn resolve(self, key: &str) -> Result<HttpRequest, ConfigError> {
        if self.body.is_some() {
            return Err(ConfigError::invalid(
                format!("{key}.body"),
                "Jsonnet request bodies are not supported; remove `body` to send the default \
                 JSON payload (recipient, template_type, template_data, subject, body)",
            ));
        }
        let url = Url::parse(&self.url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| {
                ConfigError::invalid(format!("{key}.url"), "must be an http:// or https:// URL")
            })?;
        let auth = self
            .auth
            .map(|auth| match auth {
                RawAuth::BasicAuth { user, password } => Ok(HttpAuth::Basic { user, password }),
                RawAuth::ApiKey {
                    name,
                    value,
                    location,
                } => match location.as_str() {
                    "header" | "cookie" => Ok(HttpAuth::ApiKey {
                        name,
                        value,
                        in_cookie: location == "cookie",
                    }),
                    other => Err(ConfigError::invalid(
                        format!("{key}.auth.config.in"),
                        format!("must be `header` or `cookie`, got `{other}`"),
                    )),
                },
            })
            .transpose()?;
        Ok(HttpRequest {
            url,
            method: self.method.to_ascii_uppercase(),
            headers: self.headers,
            auth,
        })
    }
}

fn read_template(url: &str, base: &Path, key: &str) -> Result<String, ConfigError> {
    let bytes = match schema_source::read(url, base, "message templates")
        .map_err(|message| ConfigError::invalid(key, message))?
    {
        Read::Inline(bytes) | Read::File(_, bytes) => bytes,
    };
    String::from_utf8(bytes).map_err(|_| ConfigError::invalid(key, "the template is not UTF-8"))
}
