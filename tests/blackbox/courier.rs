//! The courier: its admin API through the real binary, and its sender driven in process
//! (`Courier::enqueue` and the worker) against a real SQLite file and a real SMTP server
//! (tests/peers/smtp).

use crate::harness::*;
use chrono::{DateTime, Utc};
use latchkey::clock::Clock;
use latchkey::courier::delivery::Deliveries;
use latchkey::courier::worker::{Pass, Worker};
use latchkey::courier::{Courier, Outgoing, TemplateType};
use latchkey::store::Store;
use latchkey::store::courier::{DispatchStatus, MessageStatus};
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[test]
fn admin_api_lists_nothing_and_answers_errors_as_kratos() {
    let work = Workdir::new();
    let server = Server::start(&work);

    let empty = server.admin_send("GET", "/admin/courier/messages", None, None);
    assert_eq!(empty.status, 200, "{}", empty.body);
    assert_eq!(empty.body, json!([]));
    let links = empty.header_values("link");
    assert_eq!(links.len(), 1, "only rel=first: {links:?}");
    assert!(links[0].ends_with("rel=\"first\""), "{links:?}");

    let filtered = server.admin_get("/admin/courier/messages?status=sent&recipient=a@example.com");
    assert_eq!((filtered.status, filtered.body), (200, json!([])));

    let unknown = server.admin_get(&format!("/admin/courier/messages/{}", uuid::Uuid::new_v4()));
    assert_kratos_error(&unknown, 404);
    assert_kratos_error(&server.admin_get("/admin/courier/messages/not-a-uuid"), 400);
    let bad_status = server.admin_get("/admin/courier/messages?status=lost");
    assert_kratos_error(&bad_status, 400);
    assert!(
        bad_status.body["error"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("lost"),
        "{}",
        bad_status.body
    );
    assert_kratos_error(
        &server.admin_get("/admin/courier/messages?page_token=forged"),
        400,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_shows_messages_as_kratos_with_pages_and_dispatches() {
    let work = Workdir::new();
    let server = Server::start(&work);
    // The server's own database, written beside it as a second process would.
    let store = latchkey::store::open(work.dsn()).unwrap();
    let config = latchkey::config::load(&[], &|_| None).unwrap().config;
    let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
    let courier = Courier::new(&config.courier, clock.clone()).unwrap();
    for to in ["a@example.com", "b@example.com", "c@example.com"] {
        courier
            .enqueue(store.as_ref(), vec![recovery_code(to, "909090")], None)
            .await
            .unwrap();
        clock.advance(Duration::from_secs(1));
    }
    let claimed = store
        .claim_due_messages(clock.now(), 1, chrono::Duration::minutes(5))
        .await
        .unwrap();
    store
        .record_dispatch_failure(
            claimed[0].id,
            &json!({ "message": "connection refused" }),
            clock.now(),
            Some(clock.now()),
        )
        .await
        .unwrap();

    let server = tokio::task::spawn_blocking(move || {
        let first = server.admin_send("GET", "/admin/courier/messages?page_size=2", None, None);
        assert_eq!(first.status, 200, "{}", first.body);
        let page: Vec<_> = first.body.as_array().unwrap().clone();
        assert_eq!(
            page.iter()
                .map(|m| m["recipient"].clone())
                .collect::<Vec<_>>(),
            [json!("c@example.com"), json!("b@example.com")],
            "newest first"
        );
        let message = &page[0];
        for key in [
            "id",
            "status",
            "type",
            "channel",
            "recipient",
            "subject",
            "body",
            "template_type",
            "send_count",
            "created_at",
            "updated_at",
        ] {
            assert!(message.get(key).is_some(), "{key} in {message}");
        }
        assert_eq!(message["status"], "queued");
        assert_eq!(message["type"], "email");
        assert_eq!(message["channel"], "email");
        assert_eq!(message["template_type"], "recovery_code_valid");
        assert!(message.get("dispatches").is_none(), "{message}");
        let links = first.header_values("link");
        assert_eq!(links.len(), 2, "{links:?}");
        let next = links[1]
            .split_once('>')
            .unwrap()
            .0
            .trim_start_matches('<')
            .to_owned();
        let next_path = next
            .split_once("/admin")
            .map(|(_, p)| format!("/admin{p}"))
            .unwrap();
        let second = server.admin_get(&next_path);
        assert_eq!(second.body.as_array().unwrap().len(), 1);
        assert_eq!(second.body[0]["recipient"], "a@example.com");
        assert_eq!(second.body[0]["send_count"], 1);

        let failed_id = second.body[0]["id"].as_str().unwrap().to_owned();
        let one = server.admin_get(&format!("/admin/courier/messages/{failed_id}"));
        assert_eq!(one.status, 200, "{}", one.body);
        let dispatch = &one.body["dispatches"][0];
        assert_eq!(dispatch["status"], "failed");
        assert_eq!(dispatch["message_id"], failed_id.as_str());
        assert_eq!(dispatch["error"]["message"], "connection refused");

        let queued_b =
            server.admin_get("/admin/courier/messages?status=queued&recipient=b@example.com");
        assert_eq!(
            queued_b.body.as_array().unwrap().len(),
            1,
            "{}",
            queued_b.body
        );
        assert!(
            message["subject"].as_str().unwrap().contains("909090"),
            "shown in development mode: {message}"
        );
        server
    })
    .await
    .unwrap();
    drop(server);

    // Outside development mode, as Kratos, the codes and links stay in the database.
    let server = Server::start_with(
        &work,
        Options {
            no_dev: true,
            ..Default::default()
        },
    );
    let listed = server.admin_get("/admin/courier/messages");
    let first = &listed.body[0];
    assert_eq!(first["subject"], "<redacted-unless-dev-mode>", "{first}");
    assert_eq!(first["body"], "<redacted-unless-dev-mode>", "{first}");
    let one = server.admin_get(&format!(
        "/admin/courier/messages/{}",
        first["id"].as_str().unwrap()
    ));
    assert_eq!(one.body["body"], "<redacted-unless-dev-mode>");
}

/// A clock the test moves.
struct TestClock(Mutex<DateTime<Utc>>);

impl TestClock {
    fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap();
        *now += chrono::Duration::from_std(by).unwrap();
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

/// The courier of a kratos.yml with `courier` (YAML, at the top level) on a SQLite file.
struct Setup {
    _work: Workdir,
    store: Arc<dyn Store>,
    clock: Arc<TestClock>,
    courier: Courier,
    worker: Worker,
}

async fn setup(courier_yaml: &str) -> Setup {
    let work = Workdir::new();
    let config_file = work.write("kratos.yml", courier_yaml);
    let config = latchkey::config::load(&[config_file], &|_| None)
        .expect("the config loads")
        .config;
    let store = latchkey::store::open(work.dsn()).unwrap();
    store.migrate().await.unwrap();
    let clock = Arc::new(TestClock(Mutex::new(Utc::now())));
    let courier = Courier::new(&config.courier, clock.clone()).unwrap();
    let worker = Worker {
        store: store.clone(),
        deliveries: Arc::new(Deliveries::new(&config.courier).unwrap()),
        clock: clock.clone(),
        settings: config.courier.worker.clone(),
        message_retries: config.courier.message_retries,
    };
    Setup {
        _work: work,
        store,
        clock,
        courier,
        worker,
    }
}

fn recovery_code(to: &str, code: &str) -> Outgoing {
    Outgoing {
        channel: "email".into(),
        recipient: to.into(),
        template: TemplateType::RecoveryCodeValid,
        data: json!({ "To": to, "RecoveryCode": code, "ExpiresInMinutes": 15,
                      "Identity": { "traits": { "email": to } } }),
        identity_id: None,
    }
}

fn smtp_config(uri: &str, extra: &str) -> String {
    format!(
        "courier:\n  smtp:\n    connection_uri: \"{uri}\"\n    from_address: no-reply@example.org\n    from_name: Example Accounts\n    headers:\n      X-SES-SOURCE-ARN: arn:example\n{extra}"
    )
}

async fn statuses(store: &dyn Store) -> Vec<(MessageStatus, u32)> {
    let mut listed = store
        .list_messages(&Default::default(), 100, None)
        .await
        .unwrap();
    listed.sort_by_key(|m| m.recipient.clone());
    listed.iter().map(|m| (m.status, m.send_count)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_message_is_delivered_over_smtp_once() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let uri = format!("smtp://127.0.0.1:{}/?disable_starttls=true", peer.port);
    let s = setup(&smtp_config(&uri, "")).await;
    s.courier
        .enqueue(
            s.store.as_ref(),
            vec![recovery_code("ada@example.com", "742913")],
            None,
        )
        .await
        .unwrap();

    let pass = s.worker.run_once().await.unwrap();
    assert_eq!(
        pass,
        Pass {
            sent: 1,
            failed: 0,
            abandoned: 0
        }
    );
    let mails = peer.wait_for_mails(1, Duration::from_secs(5));
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, "ada@example.com");
    assert_eq!(mail.from, "Example Accounts <no-reply@example.org>");
    assert_eq!(
        mail.subject,
        "Use code 742913 to recover access to your account"
    );
    assert!(mail.text.contains("\n742913\n"), "{}", mail.text);
    assert!(mail.html.as_deref().unwrap_or_default().contains("742913"));
    assert_eq!(mail.headers["X-SES-SOURCE-ARN"], "arn:example");

    assert_eq!(statuses(s.store.as_ref()).await, [(MessageStatus::Sent, 0)]);
    s.clock.advance(Duration::from_secs(3600));
    assert_eq!(s.worker.run_once().await.unwrap(), Pass::default());
    assert_eq!(peer.mails().len(), 1, "never sent twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_wait_while_smtp_is_down_and_go_once_it_is_back() {
    let work = Workdir::new();
    let mut peer = SmtpPeer::start(&work, "plain", None);
    peer.stop();
    let uri = format!("smtp://127.0.0.1:{}/?disable_starttls=true", peer.port);
    let s = setup(&smtp_config(&uri, "")).await;
    let messages = ["a@example.com", "b@example.com", "c@example.com"]
        .map(|to| recovery_code(to, "111111"))
        .to_vec();
    s.courier
        .enqueue(s.store.as_ref(), messages, None)
        .await
        .unwrap();

    let pass = s.worker.run_once().await.unwrap();
    assert_eq!(pass.failed, 3, "{pass:?}");
    assert_eq!(
        statuses(s.store.as_ref()).await,
        [(MessageStatus::Queued, 1); 3]
    );
    assert_eq!(
        s.worker.run_once().await.unwrap(),
        Pass::default(),
        "not before the retry is due"
    );

    peer.restart();
    s.clock.advance(Duration::from_secs(2));
    let pass = s.worker.run_once().await.unwrap();
    assert_eq!(pass.sent, 3, "{pass:?}");
    s.clock.advance(Duration::from_secs(3600));
    assert_eq!(s.worker.run_once().await.unwrap(), Pass::default());
    let mut to: Vec<String> = peer
        .wait_for_mails(3, Duration::from_secs(5))
        .into_iter()
        .map(|m| m.to)
        .collect();
    to.sort();
    assert_eq!(
        to,
        ["a@example.com", "b@example.com", "c@example.com"],
        "each once"
    );
    assert_eq!(
        statuses(s.store.as_ref()).await,
        [(MessageStatus::Sent, 1); 3]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_keeps_failing_is_abandoned_with_every_attempt_recorded() {
    let closed_port = free_port();
    let uri = format!("smtp://127.0.0.1:{closed_port}/?disable_starttls=true");
    let s = setup(&smtp_config(&uri, "  message_retries: 2\n")).await;
    s.courier
        .enqueue(
            s.store.as_ref(),
            vec![recovery_code("ada@example.com", "222222")],
            None,
        )
        .await
        .unwrap();
    let mut passes = Vec::new();
    for _ in 0..4 {
        passes.push(s.worker.run_once().await.unwrap());
        s.clock.advance(Duration::from_secs(600));
    }
    assert_eq!(
        passes,
        [
            Pass {
                sent: 0,
                failed: 1,
                abandoned: 0
            },
            Pass {
                sent: 0,
                failed: 1,
                abandoned: 0
            },
            Pass {
                sent: 0,
                failed: 0,
                abandoned: 1
            },
            Pass::default(),
        ],
        "the first attempt and two retries"
    );
    let listed = s
        .store
        .list_messages(&Default::default(), 10, None)
        .await
        .unwrap();
    let message = s.store.get_message(listed[0].id).await.unwrap().unwrap();
    assert_eq!(
        (message.status, message.send_count),
        (MessageStatus::Abandoned, 3)
    );
    assert_eq!(message.dispatches.len(), 3);
    for dispatch in &message.dispatches {
        assert_eq!(dispatch.status, DispatchStatus::Failed);
        let error = dispatch.error.as_ref().unwrap()["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(error.contains("SMTP"), "{error}");
        assert!(!error.contains("222222"), "no body in errors: {error}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_peers_are_reached_with_smtps_and_starttls() {
    let work = Workdir::new();
    for (tls, scheme) in [("implicit", "smtps"), ("starttls", "smtp")] {
        let peer = SmtpPeer::start(&work, tls, Some("courier:s3cret"));
        // A self-signed certificate is refused unless skip_ssl_verify says otherwise.
        let strict = format!("{scheme}://courier:s3cret@127.0.0.1:{}/", peer.port);
        let s = setup(&smtp_config(&strict, "")).await;
        s.courier
            .enqueue(
                s.store.as_ref(),
                vec![recovery_code("ada@example.com", "1")],
                None,
            )
            .await
            .unwrap();
        assert_eq!(s.worker.run_once().await.unwrap().failed, 1, "{tls}");

        let lenient = format!("{strict}?skip_ssl_verify=true");
        let s = setup(&smtp_config(&lenient, "")).await;
        s.courier
            .enqueue(
                s.store.as_ref(),
                vec![recovery_code("ada@example.com", "2")],
                None,
            )
            .await
            .unwrap();
        let pass = s.worker.run_once().await.unwrap();
        let listed = s
            .store
            .list_messages(&Default::default(), 1, None)
            .await
            .unwrap();
        let message = s.store.get_message(listed[0].id).await.unwrap().unwrap();
        assert_eq!(pass.sent, 1, "{tls}: {:?}", message.dispatches);
        let mails = peer.wait_for_mails(1, Duration::from_secs(5));
        assert_eq!(mails.len(), 1, "{tls}");
        assert!(mails[0].tls && mails[0].authenticated, "{tls}: {mails:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_sender_delivers_until_stopped() {
    let work = Workdir::new();
    let peer = SmtpPeer::start(&work, "plain", None);
    let uri = format!("smtp://127.0.0.1:{}/?disable_starttls=true", peer.port);
    let s = setup(&smtp_config(&uri, "  worker:\n    pull_wait: 50ms\n")).await;
    let handle = s.worker.spawn();
    s.courier
        .enqueue(
            s.store.as_ref(),
            vec![recovery_code("ada@example.com", "333333")],
            None,
        )
        .await
        .unwrap();
    let mails = tokio::task::spawn_blocking(move || {
        let mails = peer.wait_for_mails(1, Duration::from_secs(10));
        (mails, peer)
    })
    .await
    .unwrap()
    .0;
    assert_eq!(mails.len(), 1);
    handle.stop().await;
    assert_eq!(statuses(s.store.as_ref()).await, [(MessageStatus::Sent, 0)]);
}

/// One HTTP request as a plain listener saw it: the request line, headers and body.
fn accept_one(listener: std::net::TcpListener, status: u16) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buf[..n]);
            let text = String::from_utf8_lossy(&request);
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length: ")
                            .map(str::to_owned)
                    })
                    .and_then(|n| n.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                if body.len() >= length {
                    break;
                }
            }
        }
        let _ = write!(
            stream,
            "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        String::from_utf8_lossy(&request).into_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_delivery_posts_kratos_default_payload_with_its_auth() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let config = format!(
        "courier:\n  delivery_strategy: http\n  http:\n    request_config:\n      url: http://127.0.0.1:{port}/mail\n      headers: {{ X-Tenant: example }}\n      auth:\n        type: api_key\n        config: {{ name: X-API-Key, value: k3y, in: header }}\n"
    );
    let s = setup(&config).await;
    s.courier
        .enqueue(
            s.store.as_ref(),
            vec![recovery_code("ada@example.com", "444444")],
            None,
        )
        .await
        .unwrap();
    let seen = accept_one(listener, 204);
    assert_eq!(s.worker.run_once().await.unwrap().sent, 1);
    let request = seen.join().unwrap();
    let (head, body) = request.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("POST /mail "), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("x-api-key: k3y"), "{head}");
    assert!(head.contains("x-tenant: example"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let payload: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(payload["recipient"], "ada@example.com");
    assert_eq!(payload["template_type"], "recovery_code_valid");
    assert_eq!(payload["template_data"]["RecoveryCode"], "444444");
    assert_eq!(
        payload["subject"],
        "Use code 444444 to recover access to your account"
    );
    assert!(payload["body"].as_str().unwrap().contains("444444"));

    // An answer other than 2xx is a failed attempt.
    let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
    s.courier
        .enqueue(
            s.store.as_ref(),
            vec![recovery_code("bob@example.com", "555555")],
            None,
        )
        .await
        .unwrap();
    let seen = accept_one(listener, 503);
    assert_eq!(s.worker.run_once().await.unwrap().failed, 1);
    seen.join().unwrap();
}
