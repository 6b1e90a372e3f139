//! Templates and queueing, in process on an in-memory store.

use super::*;
use crate::config::TemplateTexts;
use crate::store::courier::MessageStatus;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn clock() -> Arc<dyn Clock> {
    Arc::new(FixedClock(Utc.timestamp_opt(1_700_000_000, 0).unwrap()))
}

fn config() -> CourierConfig {
    crate::config::load(&[], &|_| None).unwrap().config.courier
}

fn recovery_code(to: &str) -> Outgoing {
    Outgoing {
        channel: "email".into(),
        recipient: to.into(),
        template: TemplateType::RecoveryCodeValid,
        data: json!({ "To": to, "RecoveryCode": "<123456>", "ExpiresInMinutes": 15,
                      "Identity": { "traits": { "email": to } } }),
        identity_id: None,
    }
}

#[test]
fn kratos_names_are_read_in_every_spelling() {
    for name in [
        "recovery_code_valid",
        "recovery_code.valid",
        "recovery_code/valid",
    ] {
        assert_eq!(
            TemplateType::from_kratos_name(name),
            Some(TemplateType::RecoveryCodeValid)
        );
    }
    assert_eq!(
        TemplateType::from_kratos_name("login_code_valid"),
        Some(TemplateType::LoginCodeValid)
    );
    assert_eq!(TemplateType::from_kratos_name("recovery_code"), None);
    for kind in TemplateType::ALL {
        assert_eq!(
            TemplateType::from_kratos_name(&kind.kratos_name()),
            Some(*kind)
        );
    }
}

#[test]
fn the_built_in_templates_render_kratos_wording() {
    let courier = Courier::new(&config(), clock()).unwrap();
    let message = courier.render(&recovery_code("ada@example.com")).unwrap();
    assert_eq!(
        message.subject,
        "Use code <123456> to recover access to your account"
    );
    assert_eq!(
        message.body,
        "Recover access to your account by entering the following code:\n\n<123456>\n\n\
         If this was not you, do nothing. This code expires in 15 minutes.\n"
    );
    let html = message.html_body.unwrap();
    assert!(
        html.contains("&lt;123456&gt;"),
        "values are escaped in HTML: {html}"
    );
    assert_eq!(message.template_type, "recovery_code_valid");

    // Every type renders, with nothing of the template syntax left.
    for kind in TemplateType::ALL {
        let mut outgoing = recovery_code("ada@example.com");
        outgoing.template = *kind;
        let message = courier.render(&outgoing).unwrap();
        assert!(!message.subject.is_empty(), "{kind:?}");
        assert!(!message.body.contains("{{"), "{kind:?}: {}", message.body);
    }
}

#[test]
fn overrides_win_file_by_file_and_config_wins_over_files() {
    let dir = tempfile::tempdir().unwrap();
    let valid = dir.path().join("recovery_code/valid");
    std::fs::create_dir_all(&valid).unwrap();
    std::fs::write(valid.join("email.subject.gotmpl"), "Code for {{ .To }}").unwrap();
    std::fs::write(
        valid.join("email.body.plaintext.gotmpl"),
        "Hi {{ .Identity.traits.email }}: {{ .RecoveryCode }}",
    )
    .unwrap();
    let mut config = config();
    config.template_override_path = Some(dir.path().to_path_buf());
    let courier = Courier::new(&config, clock()).unwrap();
    let message = courier.render(&recovery_code("ada@example.com")).unwrap();
    assert_eq!(message.subject, "Code for ada@example.com");
    assert_eq!(message.body, "Hi ada@example.com: <123456>");
    assert!(
        message.html_body.unwrap().starts_with("Recover access"),
        "the HTML body was not overridden, so it stays built in"
    );

    config.templates.insert(
        "recovery_code.valid".into(),
        TemplateTexts {
            email_subject: Some("Your code: {{ .RecoveryCode }}".into()),
            ..TemplateTexts::default()
        },
    );
    let courier = Courier::new(&config, clock()).unwrap();
    let message = courier.render(&recovery_code("ada@example.com")).unwrap();
    assert_eq!(message.subject, "Your code: <123456>");
    assert_eq!(message.body, "Hi ada@example.com: <123456>");
}

#[test]
fn a_broken_or_unknown_template_fails_at_start_up() {
    let mut config = config();
    config.templates.insert(
        "recovery_code.valid".into(),
        TemplateTexts {
            email_subject: Some("{{ range .Items }}".into()),
            ..TemplateTexts::default()
        },
    );
    let err = Courier::new(&config, clock()).unwrap_err().to_string();
    assert!(
        err.contains("courier.templates.recovery_code.valid.email.subject.gotmpl"),
        "{err}"
    );

    let mut config = self::config();
    config
        .templates
        .insert("password_reset.valid".into(), TemplateTexts::default());
    let err = Courier::new(&config, clock()).unwrap_err().to_string();
    assert!(
        err.contains("courier.templates.password_reset.valid"),
        "{err}"
    );
}

#[test]
fn sms_needs_a_configured_channel_and_an_sms_template() {
    let courier = Courier::new(&config(), clock()).unwrap();
    let mut sms = recovery_code("+15550100");
    sms.channel = "sms".into();
    assert!(matches!(
        courier.render(&sms),
        Err(CourierError::UnknownChannel(channel)) if channel == "sms"
    ));
}

#[tokio::test]
async fn enqueue_queues_rendered_messages_with_the_flow() {
    let store = crate::store::open("memory").unwrap();
    store.migrate().await.unwrap();
    let courier = Courier::new(&config(), clock()).unwrap();
    let mut flow = crate::store::fixtures::flow(crate::store::fixtures::at(600));
    store.insert_flow(&flow).await.unwrap();
    flow.state = crate::model::FlowState::PassedChallenge;
    courier
        .enqueue(
            store.as_ref(),
            vec![recovery_code("ada@example.com")],
            Some(&flow),
        )
        .await
        .unwrap();
    assert_eq!(store.get_flow(flow.id).await.unwrap(), Some(flow));
    let listed = store
        .list_messages(&Default::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, MessageStatus::Queued);
    assert_eq!(listed[0].recipient, "ada@example.com");
    assert!(listed[0].subject.contains("<123456>"));
}
