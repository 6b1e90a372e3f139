//! Message templates: Kratos' built-in English ones, replaced part by part by the files of
//! `courier.template_override_path` and, above those, by `courier.templates.*`.

use super::TemplateType;
use super::gotmpl::{Escape, ParseError, Template};
use crate::config::Courier as CourierConfig;
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// A message's text, rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    /// The plaintext body: the whole of an SMS, the text part of an email.
    pub body: String,
    /// The HTML part of an email.
    pub html_body: Option<String>,
}

/// Every template type's parsed templates.
#[derive(Debug)]
pub struct Templates {
    sets: HashMap<TemplateType, TemplateSet>,
}

#[derive(Debug)]
struct TemplateSet {
    email_subject: Template,
    email_plaintext: Template,
    email_html: Template,
    /// Kratos has SMS templates for the code-carrying types only.
    sms: Option<Template>,
}

/// Why the templates could not be loaded; names the file or config key.
#[derive(Debug, thiserror::Error)]
#[error("message template {source_name}: {problem}")]
pub struct TemplateError {
    source_name: String,
    problem: String,
}

impl Templates {
    /// Reads and parses every template, so that a broken one stops the server at start-up.
    pub fn load(config: &CourierConfig) -> Result<Templates, TemplateError> {
        let mut sets = HashMap::new();
        for &kind in TemplateType::ALL {
            let dir = kind.dir();
            let configured = config.templates.get(&kind.config_key());
            let pick = |file: &str,
                        from_config: Option<&Option<String>>,
                        builtin: Option<&'static str>|
             -> Result<Option<(String, String)>, TemplateError> {
                if let Some(Some(text)) = from_config {
                    let key = format!("courier.templates.{}.{file}", kind.config_key());
                    return Ok(Some((key, text.clone())));
                }
                if let Some(root) = &config.template_override_path
                    && let Some(found) = read_override(root, dir, file)?
                {
                    return Ok(Some(found));
                }
                Ok(builtin.map(|text| (format!("built-in {dir}/{file}"), text.to_owned())))
            };
            let parse =
                |picked: Option<(String, String)>| -> Result<Option<Template>, TemplateError> {
                    picked
                        .map(|(name, text)| {
                            Template::parse(&text).map_err(|e: ParseError| TemplateError {
                                source_name: name,
                                problem: e.to_string(),
                            })
                        })
                        .transpose()
                };
            let builtin = builtin(kind);
            let required =
                |t: Option<Template>| t.expect("every type has built-in email templates");
            let set = TemplateSet {
                email_subject: required(parse(pick(
                    "email.subject.gotmpl",
                    configured.map(|c| &c.email_subject),
                    Some(builtin.subject),
                )?)?),
                email_plaintext: required(parse(pick(
                    "email.body.plaintext.gotmpl",
                    configured.map(|c| &c.email_body_plaintext),
                    Some(builtin.plaintext),
                )?)?),
                email_html: required(parse(pick(
                    "email.body.gotmpl",
                    configured.map(|c| &c.email_body_html),
                    Some(builtin.html),
                )?)?),
                sms: parse(pick(
                    "sms.body.gotmpl",
                    configured.map(|c| &c.sms_body),
                    builtin.sms,
                )?)?,
            };
            sets.insert(kind, set);
        }
        for key in config.templates.keys() {
            if TemplateType::from_kratos_name(key).is_none() {
                return Err(TemplateError {
                    source_name: format!("courier.templates.{key}"),
                    problem: "is not a message template Kratos knows".into(),
                });
            }
        }
        Ok(Templates { sets })
    }

    /// Renders an email: subject and plaintext as they are, the HTML body escaped.
    pub fn render_email(&self, kind: TemplateType, data: &Value) -> Rendered {
        let set = &self.sets[&kind];
        Rendered {
            subject: one_line(&set.email_subject.render(data, Escape::None)),
            body: set.email_plaintext.render(data, Escape::None),
            html_body: Some(set.email_html.render(data, Escape::Html)),
        }
    }

    /// Renders an SMS; `None` when the type has no SMS template.
    pub fn render_sms(&self, kind: TemplateType, data: &Value) -> Option<Rendered> {
        let sms = self.sets[&kind].sms.as_ref()?;
        Some(Rendered {
            subject: String::new(),
            body: sms.render(data, Escape::None),
            html_body: None,
        })
    }
}

/// Template files end with a newline, which a subject must not carry.
fn one_line(subject: &str) -> String {
    subject.trim().replace(['\r', '\n'], " ")
}

/// `<root>/<dir>/<file>`, Kratos' override layout; `None` when there is no such file.
fn read_override(
    root: &Path,
    dir: &str,
    file: &str,
) -> Result<Option<(String, String)>, TemplateError> {
    let path = root.join(dir).join(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some((path.display().to_string(), text))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(TemplateError {
            source_name: path.display().to_string(),
            problem: e.to_string(),
        }),
    }
}

struct Builtin {
    subject: &'static str,
    plaintext: &'static str,
    html: &'static str,
    sms: Option<&'static str>,
}

macro_rules! builtin {
    ($dir:literal) => {
        Builtin {
            subject: include_str!(concat!("templates/", $dir, "/email.subject.gotmpl")),
            plaintext: include_str!(concat!("templates/", $dir, "/email.body.plaintext.gotmpl")),
            html: include_str!(concat!("templates/", $dir, "/email.body.gotmpl")),
            sms: None,
        }
    };
    ($dir:literal, sms) => {
        Builtin {
            sms: Some(include_str!(concat!(
                "templates/",
                $dir,
                "/sms.body.gotmpl"
            ))),
            ..builtin!($dir)
        }
    };
}

/// Kratos' own default templates (`courier/template/courier/builtin/templates`).
fn builtin(kind: TemplateType) -> Builtin {
    match kind {
        TemplateType::RecoveryInvalid => builtin!("recovery/invalid"),
        TemplateType::RecoveryValid => builtin!("recovery/valid"),
        TemplateType::RecoveryCodeInvalid => builtin!("recovery_code/invalid"),
        TemplateType::RecoveryCodeValid => builtin!("recovery_code/valid", sms),
        TemplateType::VerificationInvalid => builtin!("verification/invalid"),
        TemplateType::VerificationValid => builtin!("verification/valid"),
        TemplateType::VerificationCodeInvalid => builtin!("verification_code/invalid"),
        TemplateType::VerificationCodeValid => builtin!("verification_code/valid", sms),
        TemplateType::LoginCodeValid => builtin!("login_code/valid", sms),
        TemplateType::RegistrationCodeValid => builtin!("registration_code/valid", sms),
    }
}
