//! What every backend must do, as tests that go through the port only. Each adapter runs them
//! on itself (the SQLite adapter in `store/sqlite/mod.rs`).

use super::courier::{CourierMessage, DispatchStatus, MessageFilter, MessageStatus};
use super::fixtures::*;
use super::{Invalidate, Store, StoreError, StoredError};
use crate::model::{Aal, Identity};
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

async fn with_password(store: &dyn Store, email: &str) -> (Identity, crate::model::Credential) {
    let identity = identity(email);
    let password = credential(identity.id, "password", &[email]);
    store
        .create_identity(&identity, std::slice::from_ref(&password))
        .await
        .unwrap();
    (identity, password)
}

pub(super) async fn identity_with_credentials_round_trip(store: &dyn Store) {
    let identity = identity("a@example.com");
    let password = credential(identity.id, "password", &["a@example.com", "ada"]);
    let totp = credential(identity.id, "totp", &[]);
    store
        .create_identity(&identity, &[totp.clone(), password.clone()])
        .await
        .unwrap();

    assert_eq!(
        store.get_identity(identity.id).await.unwrap(),
        Some(identity.clone())
    );
    assert_eq!(
        store.credentials_of(identity.id).await.unwrap(),
        vec![password.clone(), totp.clone()],
        "credentials come ordered by method"
    );
    assert_eq!(
        store.credential(identity.id, "totp").await.unwrap(),
        Some(totp)
    );
    assert_eq!(
        store.find_by_identifier("password", "ada").await.unwrap(),
        Some((identity.clone(), password))
    );
    assert_eq!(
        store.find_by_identifier("password", "ADA").await.unwrap(),
        None,
        "identifiers compare exactly as stored"
    );
    assert_eq!(store.find_by_identifier("totp", "ada").await.unwrap(), None);
    assert_eq!(
        store.identities_by_identifier("ada").await.unwrap(),
        vec![identity]
    );
    assert_eq!(store.get_identity(Uuid::new_v4()).await.unwrap(), None);
}

pub(super) async fn duplicate_identifier_stores_nothing(store: &dyn Store) {
    let (first, _) = with_password(store, "a@example.com").await;

    let second = identity("b@example.com");
    let fresh = credential(second.id, "totp", &["second"]);
    let clash = credential(second.id, "password", &["b@example.com", "a@example.com"]);
    match store.create_identity(&second, &[fresh, clash]).await {
        Err(StoreError::DuplicateIdentifier { method, identifier }) => assert_eq!(
            (method.as_str(), identifier.as_str()),
            ("password", "a@example.com")
        ),
        other => panic!("expected DuplicateIdentifier, got {other:?}"),
    }
    assert_eq!(store.get_identity(second.id).await.unwrap(), None);
    assert_eq!(
        store.find_by_identifier("totp", "second").await.unwrap(),
        None
    );

    let third = identity("c@example.com");
    let foreign = credential(first.id, "totp", &[]);
    let result = store.create_identity(&third, &[foreign]).await;
    assert!(
        matches!(result, Err(StoreError::InvalidArgument(_))),
        "{result:?}"
    );
    assert_eq!(store.get_identity(third.id).await.unwrap(), None);
}

pub(super) async fn credential_writes_are_versioned(store: &dyn Store) {
    let (ada, password) = with_password(store, "a@example.com").await;

    let mut rehashed = password.clone();
    rehashed.config = r#"{"hashed_password":"rehashed"}"#.into();
    rehashed.created_at = at(99);
    let stored = store.put_credential(&rehashed, Some(1)).await.unwrap();
    assert_eq!(stored.version, 2);
    assert_eq!(stored.config, rehashed.config);
    assert_eq!(stored.created_at, password.created_at, "created_at is kept");

    // A writer that read version 1 lost the race: nothing changes.
    let mut stale = password.clone();
    stale.config = "{}".into();
    let result = store.put_credential(&stale, Some(1)).await;
    assert!(matches!(result, Err(StoreError::Conflict)), "{result:?}");
    assert_eq!(
        store.credential(ada.id, "password").await.unwrap(),
        Some(stored)
    );

    // Version 0 means "only while there is none".
    let totp = credential(ada.id, "totp", &[]);
    assert_eq!(
        store.put_credential(&totp, Some(0)).await.unwrap().version,
        1
    );
    let again = store.put_credential(&totp, Some(0)).await;
    assert!(matches!(again, Err(StoreError::Conflict)), "{again:?}");
    assert_eq!(store.put_credential(&totp, None).await.unwrap().version, 2);

    let (grace, _) = with_password(store, "g@example.com").await;
    let mut taken = credential(grace.id, "password", &["a@example.com"]);
    taken.version = 1;
    let clash = store.put_credential(&taken, Some(1)).await;
    assert!(
        matches!(clash, Err(StoreError::DuplicateIdentifier { .. })),
        "{clash:?}"
    );
    assert_eq!(
        store
            .find_by_identifier("password", "g@example.com")
            .await
            .unwrap()
            .map(|(i, _)| i.id),
        Some(grace.id)
    );

    let ghost = credential(Uuid::new_v4(), "password", &["ghost"]);
    let missing = store.put_credential(&ghost, None).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    let mut renamed = ada.clone();
    renamed.traits = json!({ "email": "new@example.com" });
    let stale_update = store
        .update_identity_with_credentials(&renamed, &[(password.clone(), 1)])
        .await;
    assert!(
        matches!(stale_update, Err(StoreError::Conflict)),
        "{stale_update:?}"
    );
    assert_eq!(store.get_identity(ada.id).await.unwrap(), Some(ada));
}

pub(super) async fn commit_authentication_is_all_or_nothing(store: &dyn Store) {
    let (ada, password) = with_password(store, "a@example.com").await;
    let flow = flow(at(600));
    store.insert_flow(&flow).await.unwrap();
    let mut completed = flow.clone();
    completed.state = crate::model::FlowState::PassedChallenge;
    let session = session(ada.id);
    let mut rehashed = password.clone();
    rehashed.config = r#"{"hashed_password":"rehashed"}"#.into();

    let stale = store
        .commit_authentication(Some((&rehashed, 7)), &session, true, Some(&completed))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict)), "{stale:?}");
    assert_eq!(store.get_session(session.id).await.unwrap(), None);
    assert_eq!(store.get_flow(flow.id).await.unwrap(), Some(flow.clone()));
    assert_eq!(
        store.credential(ada.id, "password").await.unwrap(),
        Some(password)
    );

    let stored = store
        .commit_authentication(Some((&rehashed, 1)), &session, true, Some(&completed))
        .await
        .unwrap();
    assert_eq!(stored, session);
    assert_eq!(store.get_flow(flow.id).await.unwrap(), Some(completed));
    let credential = store.credential(ada.id, "password").await.unwrap().unwrap();
    assert_eq!(
        (credential.version, credential.config),
        (2, rehashed.config)
    );

    let mut stepped_up = session.clone();
    stepped_up.aal = Aal::Aal2;
    stepped_up.authenticated_at = at(30);
    let stored = store
        .commit_authentication(None, &stepped_up, false, None)
        .await
        .unwrap();
    assert_eq!(stored, stepped_up);
    assert_eq!(
        store.get_session(session.id).await.unwrap(),
        Some(stepped_up.clone())
    );

    // A renewal may rotate the token: the old one no longer finds the session.
    let mut rotated = stepped_up.clone();
    rotated.token_hash = [7u8; 32];
    store
        .commit_authentication(None, &rotated, false, None)
        .await
        .unwrap();
    let by_old = store.session_by_token_hash(&stepped_up.token_hash).await;
    assert_eq!(by_old.unwrap(), None);
    let by_new = store.session_by_token_hash(&rotated.token_hash).await;
    assert_eq!(by_new.unwrap(), Some(rotated));
}

pub(super) async fn session_reads_with_its_identity(store: &dyn Store) {
    let (ada, _) = with_password(store, "a@example.com").await;
    let session = session(ada.id);
    store.create_session(&session).await.unwrap();

    let pair = Some((session.clone(), ada.clone()));
    assert_eq!(
        store
            .session_with_identity_by_token_hash(&session.token_hash)
            .await
            .unwrap(),
        pair
    );
    assert_eq!(store.session_with_identity(session.id).await.unwrap(), pair);
    assert_eq!(
        store
            .session_by_token_hash(&session.token_hash)
            .await
            .unwrap(),
        Some(session.clone())
    );
    assert_eq!(
        store
            .session_with_identity_by_token_hash(&[7u8; 32])
            .await
            .unwrap(),
        None
    );

    assert!(store.deactivate_session(session.id).await.unwrap());
    assert!(!store.deactivate_session(session.id).await.unwrap());
    let (revoked, _) = store
        .session_with_identity(session.id)
        .await
        .unwrap()
        .unwrap();
    assert!(!revoked.active);

    let orphan = store
        .create_session(&super::fixtures::session(Uuid::new_v4()))
        .await;
    assert!(matches!(orphan, Err(StoreError::NotFound)), "{orphan:?}");
}

pub(super) async fn deleting_an_identity_takes_its_credentials_and_sessions(store: &dyn Store) {
    let (ada, _) = with_password(store, "a@example.com").await;
    let session = session(ada.id);
    store.create_session(&session).await.unwrap();

    assert!(store.delete_identity(ada.id).await.unwrap());
    assert!(!store.delete_identity(ada.id).await.unwrap());
    assert!(store.credentials_of(ada.id).await.unwrap().is_empty());
    assert_eq!(
        store
            .find_by_identifier("password", "a@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_session(session.id).await.unwrap(), None);

    let (again, _) = with_password(store, "a@example.com").await;
    assert_ne!(again.id, ada.id);
}

pub(super) async fn flow_submissions_are_counted(store: &dyn Store) {
    let mut flow = flow(at(600));
    store.insert_flow(&flow).await.unwrap();
    assert_eq!(store.count_submission(flow.id).await.unwrap(), 1);
    assert_eq!(store.count_submission(flow.id).await.unwrap(), 2);
    // Rewriting the flow as it was read before those submissions keeps the count, and the
    // count is no plugin's state.
    flow.plugin_state.insert("totp".into(), "{}".into());
    store.update_flow(&flow).await.unwrap();
    assert_eq!(store.get_flow(flow.id).await.unwrap(), Some(flow.clone()));
    let count = || store.count_submission(flow.id);
    let (a, b, c, d) = tokio::join!(count(), count(), count(), count());
    let mut counts = [a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()];
    counts.sort_unstable();
    assert_eq!(counts, [3, 4, 5, 6], "parallel submissions are all counted");
    let missing = store.count_submission(Uuid::new_v4()).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
}

pub(super) async fn flows_round_trip_and_expire(store: &dyn Store) {
    let cutoff = at(1000);
    let expired = flow(cutoff - Duration::seconds(1));
    let fresh = flow(cutoff + Duration::hours(1));
    store.insert_flow(&expired).await.unwrap();
    store.insert_flow(&fresh).await.unwrap();
    assert_eq!(
        store.get_flow(expired.id).await.unwrap(),
        Some(expired.clone())
    );

    let mut shown = fresh.clone();
    shown.state = crate::model::FlowState::PassedChallenge;
    shown.ui = json!({ "messages": [{ "id": 4000006 }] });
    shown.plugin_state.clear();
    store.update_flow(&shown).await.unwrap();
    assert_eq!(store.get_flow(fresh.id).await.unwrap(), Some(shown));
    let missing = store.update_flow(&flow(at(1))).await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");

    assert_eq!(store.delete_expired_flows(cutoff, 100).await.unwrap(), 1);
    assert_eq!(store.get_flow(expired.id).await.unwrap(), None);
    assert!(store.get_flow(fresh.id).await.unwrap().is_some());
}

pub(super) async fn stored_errors_round_trip_and_expire_on_the_next_insert(store: &dyn Store) {
    let error = |created_at| StoredError {
        id: Uuid::new_v4(),
        error: json!({ "id": "security_csrf_violation", "code": 403, "status": "Forbidden",
                       "message": "the request was rejected" }),
        created_at,
        expires_at: created_at + Duration::hours(1),
    };
    let old = error(at(0));
    let recent = error(at(1800));
    store.insert_error(&old).await.unwrap();
    store.insert_error(&recent).await.unwrap();
    assert_eq!(store.get_error(old.id).await.unwrap(), Some(old.clone()));
    assert_eq!(store.get_error(Uuid::new_v4()).await.unwrap(), None);

    let later = error(at(3601));
    store.insert_error(&later).await.unwrap();
    assert_eq!(store.get_error(old.id).await.unwrap(), None);
    assert!(store.get_error(recent.id).await.unwrap().is_some());
    assert!(store.get_error(later.id).await.unwrap().is_some());
}

pub(super) async fn expired_rows_go_in_batches_oldest_first(store: &dyn Store) {
    let cutoff = at(1000);
    let flows: Vec<_> = (1..=5)
        .map(|i| flow(cutoff - Duration::seconds(i)))
        .collect();
    for f in &flows {
        store.insert_flow(f).await.unwrap();
    }
    let kept = flow(cutoff);
    store.insert_flow(&kept).await.unwrap();
    assert_eq!(store.delete_expired_flows(cutoff, 2).await.unwrap(), 2);
    // The two that expired first went first.
    assert_eq!(store.get_flow(flows[4].id).await.unwrap(), None);
    assert_eq!(store.get_flow(flows[3].id).await.unwrap(), None);
    assert!(store.get_flow(flows[2].id).await.unwrap().is_some());
    assert_eq!(store.delete_expired_flows(cutoff, 2).await.unwrap(), 2);
    assert_eq!(store.delete_expired_flows(cutoff, 2).await.unwrap(), 1);
    assert_eq!(store.delete_expired_flows(cutoff, 2).await.unwrap(), 0);
    assert!(store.get_flow(kept.id).await.unwrap().is_some());

    let (ada, _) = with_password(store, "a@example.com").await;
    let mut expired = session(ada.id);
    expired.expires_at = cutoff - Duration::seconds(1);
    let live = session(ada.id);
    store.create_session(&expired).await.unwrap();
    store.create_session(&live).await.unwrap();
    let notices = Arc::new(Notices::default());
    store.subscribe(notices.clone());
    assert_eq!(store.delete_expired_sessions(cutoff, 10).await.unwrap(), 1);
    assert!(
        notices.0.load(Ordering::SeqCst) > 0,
        "caches hear of the deleted session"
    );
    assert_eq!(store.get_session(expired.id).await.unwrap(), None);
    assert_eq!(
        store
            .session_with_identity_by_token_hash(&expired.token_hash)
            .await
            .unwrap(),
        None
    );
    assert_eq!(store.get_session(live.id).await.unwrap(), Some(live));

    let error = StoredError {
        id: Uuid::new_v4(),
        error: json!({ "code": 400 }),
        created_at: at(0),
        expires_at: cutoff - Duration::seconds(1),
    };
    store.insert_error(&error).await.unwrap();
    assert_eq!(store.delete_expired_errors(cutoff, 10).await.unwrap(), 1);
    assert_eq!(store.get_error(error.id).await.unwrap(), None);
}

/// Counts the invalidations it is told of.
#[derive(Default)]
struct Notices(AtomicUsize);

impl Invalidate for Notices {
    fn invalidate(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

pub(super) async fn every_write_is_published_before_it_returns(store: &dyn Store) {
    let notices = Arc::new(Notices::default());
    store.subscribe(notices.clone());
    let mut told = 0;
    let mut published = |what: &str| {
        let now = notices.0.load(Ordering::SeqCst);
        assert!(now > told, "{what} was not published");
        told = now;
    };

    let (ada, password) = with_password(store, "a@example.com").await;
    published("creating an identity");
    let mut renamed = ada.clone();
    renamed.traits = json!({ "email": "ada@example.com" });
    store.update_identity(&renamed).await.unwrap();
    published("updating an identity");
    store.put_credential(&password, Some(1)).await.unwrap();
    published("writing a credential");
    let session = session(ada.id);
    store.create_session(&session).await.unwrap();
    published("creating a session");
    store
        .extend_session(session.id, session.expires_at + Duration::hours(1))
        .await
        .unwrap();
    published("extending a session");
    let flow = flow(at(600));
    store.insert_flow(&flow).await.unwrap();
    published("storing a flow");
    store
        .commit_authentication(None, &session, false, Some(&flow))
        .await
        .unwrap();
    published("committing an authentication");
    store.deactivate_session(session.id).await.unwrap();
    published("revoking a session");
    store.delete_credential(ada.id, "password").await.unwrap();
    published("deleting a credential");
    store.delete_identity(ada.id).await.unwrap();
    published("deleting an identity");
}

pub(super) async fn a_credential_lock_has_one_holder_at_a_time(store: &dyn Store) {
    let identity = Uuid::new_v4();
    let (inside, most) = (AtomicUsize::new(0), AtomicUsize::new(0));
    let attempt = || async {
        let _lock = store.lock_credential(identity, "pin").await.unwrap();
        let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
        most.fetch_max(now, Ordering::SeqCst);
        // Lets the other attempts run: without the lock, one would come in now.
        tokio::task::yield_now().await;
        inside.fetch_sub(1, Ordering::SeqCst);
    };
    tokio::join!(attempt(), attempt(), attempt(), attempt());
    assert_eq!(most.load(Ordering::SeqCst), 1);

    // Held, it keeps only its own credential: these would wait for ever otherwise.
    let _pin = store.lock_credential(identity, "pin").await.unwrap();
    let _totp = store.lock_credential(identity, "totp").await.unwrap();
    let _other = store.lock_credential(Uuid::new_v4(), "pin").await.unwrap();
}

pub(super) async fn failures_are_counted_forgotten_and_swept(store: &dyn Store) {
    let t0 = crate::clock::Clock::now(&crate::clock::SystemClock);
    let at = |secs: i64| t0 + Duration::seconds(secs);
    assert_eq!(store.failure_count("id:a").await.unwrap(), None);
    for (n, secs) in [(1, 0), (2, 10), (3, 20)] {
        let count = store
            .record_failure("id:a", at(secs), at(secs - 3600))
            .await
            .unwrap();
        assert_eq!((count.failures, count.last_failure_at), (n, at(secs)));
    }
    assert_eq!(
        store.failure_count("id:a").await.unwrap().unwrap().failures,
        3
    );
    // Counted concurrently, every failure counts.
    let count = || store.record_failure("ip:b", at(0), at(-3600));
    let (a, b, c, d) = tokio::join!(count(), count(), count(), count());
    for recorded in [a, b, c, d] {
        recorded.unwrap();
    }
    assert_eq!(
        store.failure_count("ip:b").await.unwrap().unwrap().failures,
        4
    );
    // A count whose last failure is older than the window starts over.
    let fresh = store
        .record_failure("id:a", at(7200), at(3600))
        .await
        .unwrap();
    assert_eq!(fresh.failures, 1);
    store.forget_failures("id:a").await.unwrap();
    assert_eq!(store.failure_count("id:a").await.unwrap(), None);
    store.record_failure("id:c", at(100), at(0)).await.unwrap();
    assert_eq!(store.delete_stale_failures(at(50), 10).await.unwrap(), 1);
    assert_eq!(store.failure_count("ip:b").await.unwrap(), None);
    assert!(store.failure_count("id:c").await.unwrap().is_some());
}

pub(super) async fn courier_messages_are_queued_with_their_flow(store: &dyn Store) {
    let message = courier_message("a@example.com", at(0));
    let mut flow = flow(at(600));
    store.insert_flow(&flow).await.unwrap();
    flow.state = crate::model::FlowState::PassedChallenge;
    store
        .enqueue_messages(std::slice::from_ref(&message), Some(&flow))
        .await
        .unwrap();
    assert_eq!(store.get_flow(flow.id).await.unwrap(), Some(flow));
    let stored = store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.send_count, stored.next_attempt_at),
        (MessageStatus::Queued, 0, at(0))
    );
    assert_eq!(
        (
            stored.recipient.as_str(),
            stored.body.as_str(),
            stored.html_body
        ),
        ("a@example.com", message.body.as_str(), message.html_body)
    );
    assert_eq!(stored.template_data, message.template_data);
    assert_eq!(stored.identity_id, message.identity_id);
    assert!(stored.dispatches.is_empty());

    // A flow that is gone takes the messages with it: nothing is queued.
    let orphan = courier_message("b@example.com", at(0));
    let missing = store
        .enqueue_messages(
            std::slice::from_ref(&orphan),
            Some(&super::fixtures::flow(at(9))),
        )
        .await;
    assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    assert_eq!(store.get_message(orphan.id).await.unwrap(), None);
    assert_eq!(store.get_message(Uuid::new_v4()).await.unwrap(), None);
}

pub(super) async fn claimed_messages_are_taken_once(store: &dyn Store) {
    let messages: Vec<_> = (0..6)
        .map(|i| courier_message(&format!("{i}@example.com"), at(i)))
        .collect();
    store.enqueue_messages(&messages, None).await.unwrap();
    let lease = Duration::minutes(5);
    // Not due before they were queued.
    assert!(
        store
            .claim_due_messages(at(-1), 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    let first = store.claim_due_messages(at(10), 4, lease).await.unwrap();
    let second = store.claim_due_messages(at(10), 4, lease).await.unwrap();
    let ids = |claimed: &[CourierMessage]| claimed.iter().map(|m| m.id).collect::<Vec<_>>();
    assert_eq!(
        ids(&first),
        messages[..4].iter().map(|m| m.id).collect::<Vec<_>>(),
        "oldest first"
    );
    assert_eq!(
        ids(&second),
        messages[4..].iter().map(|m| m.id).collect::<Vec<_>>()
    );
    assert!(first.iter().all(|m| m.status == MessageStatus::Processing));
    let stored = store.get_message(messages[0].id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.next_attempt_at),
        (MessageStatus::Processing, at(10) + lease)
    );
    assert!(
        store
            .claim_due_messages(at(20), 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
}

pub(super) async fn dispatches_are_recorded_and_retries_scheduled(store: &dyn Store) {
    let message = courier_message("a@example.com", at(0));
    store
        .enqueue_messages(std::slice::from_ref(&message), None)
        .await
        .unwrap();
    let lease = Duration::minutes(5);
    store.claim_due_messages(at(1), 10, lease).await.unwrap();
    let error = json!({ "message": "connection refused" });
    store
        .record_dispatch_failure(message.id, &error, at(2), Some(at(60)))
        .await
        .unwrap();
    let stored = store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!(
        (stored.status, stored.send_count, stored.next_attempt_at),
        (MessageStatus::Queued, 1, at(60))
    );
    assert!(
        store
            .claim_due_messages(at(59), 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "not before its retry time"
    );
    assert_eq!(
        store
            .claim_due_messages(at(60), 10, lease)
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .record_dispatch_success(message.id, at(61))
        .await
        .unwrap();
    let sent = store.get_message(message.id).await.unwrap().unwrap();
    assert_eq!((sent.status, sent.send_count), (MessageStatus::Sent, 1));
    let outcomes: Vec<_> = sent
        .dispatches
        .iter()
        .map(|d| (d.message_id, d.status, d.error.clone(), d.created_at))
        .collect();
    assert_eq!(
        outcomes,
        [
            (
                message.id,
                DispatchStatus::Failed,
                Some(error.clone()),
                at(2)
            ),
            (message.id, DispatchStatus::Success, None, at(61)),
        ]
    );
    assert!(
        store
            .claim_due_messages(at(9999), 10, lease)
            .await
            .unwrap()
            .is_empty(),
        "a sent message is never claimed again"
    );

    let doomed = courier_message("b@example.com", at(0));
    store
        .enqueue_messages(std::slice::from_ref(&doomed), None)
        .await
        .unwrap();
    store.claim_due_messages(at(1), 10, lease).await.unwrap();
    store
        .record_dispatch_failure(doomed.id, &error, at(2), None)
        .await
        .unwrap();
    let abandoned = store.get_message(doomed.id).await.unwrap().unwrap();
    assert_eq!(
        (
            abandoned.status,
            abandoned.send_count,
            abandoned.dispatches.len()
        ),
        (MessageStatus::Abandoned, 1, 1)
    );
    assert!(
        store
            .claim_due_messages(at(9999), 10, lease)
            .await
            .unwrap()
            .is_empty()
    );
    for missing in [
        store.record_dispatch_success(Uuid::new_v4(), at(3)).await,
        store
            .record_dispatch_failure(Uuid::new_v4(), &error, at(3), None)
            .await,
    ] {
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    }
}

pub(super) async fn courier_messages_are_listed_newest_first_and_filtered(store: &dyn Store) {
    let messages: Vec<_> = (0..5)
        .map(|i| {
            courier_message(
                if i % 2 == 0 {
                    "even@example.com"
                } else {
                    "odd@example.com"
                },
                at(i),
            )
        })
        .collect();
    store.enqueue_messages(&messages, None).await.unwrap();
    store
        .claim_due_messages(at(0), 1, Duration::minutes(5))
        .await
        .unwrap();
    store
        .record_dispatch_success(messages[0].id, at(9))
        .await
        .unwrap();

    let ids = |listed: Vec<CourierMessage>| listed.into_iter().map(|m| m.id).collect::<Vec<_>>();
    let all = MessageFilter::default();
    let first = store.list_messages(&all, 2, None).await.unwrap();
    assert!(first.iter().all(|m| m.dispatches.is_empty()));
    assert_eq!(ids(first), [messages[4].id, messages[3].id]);
    assert_eq!(
        ids(store
            .list_messages(&all, 2, Some(messages[3].id))
            .await
            .unwrap()),
        [messages[2].id, messages[1].id]
    );
    assert_eq!(
        ids(store
            .list_messages(&all, 2, Some(messages[1].id))
            .await
            .unwrap()),
        [messages[0].id]
    );
    assert!(
        store
            .list_messages(&all, 2, Some(Uuid::new_v4()))
            .await
            .unwrap()
            .is_empty()
    );

    let even = MessageFilter {
        recipient: Some("even@example.com".into()),
        ..MessageFilter::default()
    };
    assert_eq!(
        ids(store.list_messages(&even, 10, None).await.unwrap()),
        [messages[4].id, messages[2].id, messages[0].id]
    );
    let sent = MessageFilter {
        status: Some(MessageStatus::Sent),
        ..MessageFilter::default()
    };
    assert_eq!(
        ids(store.list_messages(&sent, 10, None).await.unwrap()),
        [messages[0].id]
    );
    let queued_odd = MessageFilter {
        status: Some(MessageStatus::Queued),
        recipient: Some("odd@example.com".into()),
    };
    assert_eq!(
        ids(store.list_messages(&queued_odd, 10, None).await.unwrap()),
        [messages[3].id, messages[1].id]
    );
}

pub(super) async fn nodes_see_each_others_plugin_sets(store: &dyn Store) {
    let (a, b, c) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let since = at(0);
    assert!(
        store
            .announce_node(a, "set-1", at(10), since)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .announce_node(b, "set-1", at(11), since)
            .await
            .unwrap(),
        ["set-1"]
    );
    assert_eq!(
        store
            .announce_node(c, "set-2", at(12), since)
            .await
            .unwrap(),
        ["set-1"]
    );
    assert_eq!(
        store
            .announce_node(a, "set-1", at(13), since)
            .await
            .unwrap(),
        ["set-1", "set-2"],
        "another node runs other plugins"
    );
    // `c` reloads to the common set, then `b` stops announcing and is forgotten.
    assert_eq!(
        store
            .announce_node(c, "set-1", at(14), since)
            .await
            .unwrap(),
        ["set-1"]
    );
    assert!(
        store
            .announce_node(a, "set-1", at(30), at(20))
            .await
            .unwrap()
            .is_empty(),
        "nodes not heard from since are forgotten"
    );
}
