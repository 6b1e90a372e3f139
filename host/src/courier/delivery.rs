//! Handing a rendered message to the outside world: email over SMTP or an HTTP API
//! (`courier.delivery_strategy`), other channels (SMS) over their configured HTTP API.
//!
//! Errors name what failed (connection, TLS, the server's reply) and never the message body,
//! which may carry a one-time code: they are stored in the dispatch record the admin API shows.

use crate::config::{Courier as CourierConfig, Delivery, HttpAuth, HttpRequest, Smtp};
use crate::store::courier::CourierMessage;
use base64::Engine as _;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;
use url::Url;

/// How long one attempt may take before it counts as failed.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a message could not be delivered (this time), safe to store and show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DeliveryError(pub String);

/// Every configured way out.
pub struct Deliveries {
    email: Sender,
    channels: BTreeMap<String, HttpSender>,
}

enum Sender {
    Smtp(Box<SmtpSender>),
    Http(HttpSender),
    /// No `courier.smtp.connection_uri`: every email fails, and says why.
    Unconfigured,
}

impl Deliveries {
    /// Builds the transports; an unusable SMTP URI or sender address fails here, at start-up.
    pub fn new(config: &CourierConfig) -> Result<Deliveries, DeliveryError> {
        let email = match &config.delivery {
            Delivery::Http(request) => Sender::Http(HttpSender::new(request.clone())),
            Delivery::Smtp => match &config.smtp.connection_uri {
                Some(uri) => Sender::Smtp(Box::new(SmtpSender::new(uri.expose(), &config.smtp)?)),
                None => Sender::Unconfigured,
            },
        };
        let channels = config
            .channels
            .iter()
            .map(|(id, request)| (id.clone(), HttpSender::new(request.clone())))
            .collect();
        Ok(Deliveries { email, channels })
    }

    pub async fn send(&self, message: &CourierMessage) -> Result<(), DeliveryError> {
        if message.channel != "email" {
            return match self.channels.get(&message.channel) {
                Some(http) => http.send(message).await,
                None => Err(DeliveryError(format!(
                    "no courier channel `{}` is configured",
                    message.channel
                ))),
            };
        }
        match &self.email {
            Sender::Smtp(smtp) => smtp.send(message).await,
            Sender::Http(http) => http.send(message).await,
            Sender::Unconfigured => Err(DeliveryError(
                "courier.smtp.connection_uri is not configured".into(),
            )),
        }
    }
}

struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    headers: Vec<HeaderValue>,
}

impl SmtpSender {
    /// Kratos' URI rules: `smtps://` is implicit TLS; `smtp://` requires STARTTLS unless
    /// `?disable_starttls=true`; `?skip_ssl_verify=true` accepts any certificate;
    /// `?server_name=` names the certificate's host; `user:password@` authenticates.
    fn new(uri: &str, smtp: &Smtp) -> Result<SmtpSender, DeliveryError> {
        // The URI holds the password: errors describe it without quoting it.
        let url = Url::parse(uri)
            .map_err(|e| DeliveryError(format!("courier.smtp.connection_uri is not a URL: {e}")))?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| DeliveryError("courier.smtp.connection_uri names no host".into()))?
            .to_owned();
        let query: BTreeMap<String, String> = url.query_pairs().into_owned().collect();
        let flag = |name: &str| query.get(name).is_some_and(|v| v == "true");
        let implicit_tls = url.scheme() == "smtps";
        let skip_verify = flag("skip_ssl_verify");
        let server_name = query.get("server_name").cloned().unwrap_or(host.clone());
        let tls_parameters = TlsParameters::builder(server_name)
            .dangerous_accept_invalid_certs(skip_verify)
            .dangerous_accept_invalid_hostnames(skip_verify)
            .build()
            .map_err(|e| DeliveryError(format!("setting up TLS for SMTP failed: {e}")))?;
        let tls = if implicit_tls {
            Tls::Wrapper(tls_parameters)
        } else if flag("disable_starttls") {
            Tls::None
        } else {
            Tls::Required(tls_parameters)
        };
        let port = url.port().unwrap_or(if implicit_tls { 465 } else { 25 });
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .tls(tls)
            .hello_name(ClientId::Domain(smtp.local_name.clone()))
            .timeout(Some(SEND_TIMEOUT));
        if !url.username().is_empty() {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            builder = builder.credentials(Credentials::new(
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            ));
        }
        let address: Address = smtp.from_address.parse().map_err(|e| {
            DeliveryError(format!(
                "courier.smtp.from_address `{}` is not an email address: {e}",
                smtp.from_address
            ))
        })?;
        let headers = smtp
            .headers
            .iter()
            .map(|(name, value)| {
                HeaderName::new_from_ascii(name.clone())
                    .map(|name| HeaderValue::new(name, value.clone()))
                    .map_err(|_| {
                        DeliveryError(format!(
                            "courier.smtp.headers: `{name}` is not a header name"
                        ))
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(SmtpSender {
            transport: builder.build(),
            from: Mailbox::new(smtp.from_name.clone(), address),
            headers,
        })
    }

    async fn send(&self, message: &CourierMessage) -> Result<(), DeliveryError> {
        let to: Mailbox = message
            .recipient
            .parse()
            .map_err(|e| DeliveryError(format!("the recipient is not an email address: {e}")))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone());
        for header in &self.headers {
            builder = builder.raw_header(header.clone());
        }
        let email = match &message.html_body {
            Some(html) => builder.multipart(MultiPart::alternative_plain_html(
                message.body.clone(),
                html.clone(),
            )),
            None => builder
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.clone()),
        }
        .map_err(|e| DeliveryError(format!("the email could not be built: {e}")))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| DeliveryError(format!("sending the email over SMTP failed: {e}")))
    }
}

/// POSTs (or whatever `method` says) Kratos' default JSON payload: `recipient`,
/// `template_type`, `template_data`, `subject`, `body`.
struct HttpSender {
    request: HttpRequest,
    agent: ureq::Agent,
}

impl HttpSender {
    fn new(request: HttpRequest) -> HttpSender {
        let agent = ureq::AgentBuilder::new()
            .timeout(SEND_TIMEOUT)
            .redirects(0)
            .build();
        HttpSender { request, agent }
    }

    async fn send(&self, message: &CourierMessage) -> Result<(), DeliveryError> {
        let payload = json!({
            "recipient": message.recipient,
            "template_type": message.template_type,
            "template_data": message.template_data,
            "subject": message.subject,
            "body": message.body,
        })
        .to_string();
        let mut call = self
            .agent
            .request_url(&self.request.method, &self.request.url)
            .set("Content-Type", "application/json");
        for (name, value) in &self.request.headers {
            call = call.set(name, value);
        }
        call = match &self.request.auth {
            None => call,
            Some(HttpAuth::Basic { user, password }) => {
                let token = base64::engine::general_purpose::STANDARD
                    .encode(format!("{user}:{}", password.expose()));
                call.set("Authorization", &format!("Basic {token}"))
            }
            Some(HttpAuth::ApiKey {
                name,
                value,
                in_cookie: true,
            }) => call.set("Cookie", &format!("{name}={}", value.expose())),
            Some(HttpAuth::ApiKey { name, value, .. }) => call.set(name, value.expose()),
        };
        // ureq blocks: the call runs on the blocking pool.
        tokio::task::spawn_blocking(move || match call.send_string(&payload) {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(status, _)) => Err(DeliveryError(format!(
                "the HTTP delivery endpoint answered {status}"
            ))),
            Err(err) => Err(DeliveryError(format!(
                "the HTTP delivery failed: {}",
                err.kind()
            ))),
        })
        .await
        .map_err(|_| DeliveryError("the HTTP delivery was cancelled".into()))?
    }
}
