//! Self-service flows, kept between the requests of a login, registration or settings run.

use super::codec::{
    from_json, parse_bool, parse_enum, parse_optional_uuid, parse_timestamp, parse_uuid,
    query_optional, timestamp, to_json, uuid_text,
};
use super::{Database, SqliteStore, StoreError};
use crate::model::{Aal, Flow, FlowKind, FlowState, FlowVariant};
use crate::store::FlowRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Row, Transaction, params};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The submission count ([`FlowRepository::count_submission`]) lives in the `plugin_state`
/// column under this key, so that counting needs no column of its own. Plugins never see it:
/// it is taken out when a flow is read and put back when one is written. The `#` keeps it
/// apart from method ids, which are names.
const SUBMISSIONS: &str = "#submissions";

struct FlowRow {
    id: String,
    kind: String,
    variant: String,
    state: String,
    issued_at: String,
    expires_at: String,
    request_url: String,
    return_to: Option<String>,
    requested_aal: String,
    refresh: i64,
    identity_id: Option<String>,
    session_id: Option<String>,
    csrf_token: Option<String>,
    plugin_state: String,
    ui: String,
    schema_id: Option<String>,
}

impl FlowRow {
    fn read(row: &Row<'_>) -> rusqlite::Result<FlowRow> {
        Ok(FlowRow {
            id: row.get(0)?,
            kind: row.get(1)?,
            variant: row.get(2)?,
            state: row.get(3)?,
            issued_at: row.get(4)?,
            expires_at: row.get(5)?,
            request_url: row.get(6)?,
            return_to: row.get(7)?,
            requested_aal: row.get(8)?,
            refresh: row.get(9)?,
            identity_id: row.get(10)?,
            session_id: row.get(11)?,
            csrf_token: row.get(12)?,
            plugin_state: row.get(13)?,
            ui: row.get(14)?,
            schema_id: row.get(15)?,
        })
    }

    fn decode(self) -> Result<Flow, StoreError> {
        Ok(Flow {
            id: parse_uuid("flows.id", &self.id)?,
            kind: parse_enum("flows.kind", &self.kind, FlowKind::parse)?,
            variant: parse_enum("flows.variant", &self.variant, FlowVariant::parse)?,
            state: parse_enum("flows.state", &self.state, FlowState::parse)?,
            issued_at: parse_timestamp("flows.issued_at", &self.issued_at)?,
            expires_at: parse_timestamp("flows.expires_at", &self.expires_at)?,
            request_url: self.request_url,
            return_to: self.return_to,
            requested_aal: parse_enum("flows.requested_aal", &self.requested_aal, Aal::parse)?,
            refresh: parse_bool("flows.refresh", self.refresh)?,
            identity_id: parse_optional_uuid("flows.identity_id", self.identity_id.as_deref())?,
            session_id: parse_optional_uuid("flows.session_id", self.session_id.as_deref())?,
            csrf_token: self.csrf_token,
            plugin_state: without_count(from_json("flows.plugin_state", &self.plugin_state)?),
            ui: from_json("flows.ui", &self.ui)?,
            schema_id: self.schema_id,
        })
    }
}

impl Database {
    pub fn insert_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        self.write(|tx| {
            tx.prepare_cached(
                "INSERT INTO flows (id, kind, variant, state, issued_at, expires_at, request_url, \
                 return_to, requested_aal, refresh, identity_id, session_id, csrf_token, \
                 plugin_state, ui, schema_id) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )?
            .execute(params![
                uuid_text(flow.id),
                flow.kind.as_str(),
                flow.variant.as_str(),
                flow.state.as_str(),
                timestamp(&flow.issued_at),
                timestamp(&flow.expires_at),
                flow.request_url,
                flow.return_to,
                flow.requested_aal.as_str(),
                flow.refresh,
                flow.identity_id.map(uuid_text),
                flow.session_id.map(uuid_text),
                flow.csrf_token,
                to_json("flows.plugin_state", &flow.plugin_state)?,
                to_json("flows.ui", &flow.ui)?,
                flow.schema_id,
            ])?;
            Ok(())
        })
    }

    pub fn get_flow(&self, id: Uuid) -> Result<Option<Flow>, StoreError> {
        self.read(|conn| {
            query_optional(
                conn,
                "SELECT id, kind, variant, state, issued_at, expires_at, request_url, return_to, \
                 requested_aal, refresh, identity_id, session_id, csrf_token, plugin_state, ui, \
                 schema_id FROM flows WHERE id = ?1",
                params![uuid_text(id)],
                FlowRow::read,
            )?
            .map(FlowRow::decode)
            .transpose()
        })
    }

    /// Replaces everything but `id`, `kind` and `variant`, which a flow keeps for life.
    pub fn update_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        self.write(|tx| update_flow_row(tx, flow))
    }

    /// Counts one more submission of the flow; how many there were, this one included. One
    /// write transaction, so parallel submissions are all counted.
    pub fn count_submission(&self, id: Uuid) -> Result<u32, StoreError> {
        self.write(|tx| {
            let mut state = stored_state(tx, id)?.ok_or(StoreError::NotFound)?;
            let count = count_in(&state).saturating_add(1);
            state.insert(SUBMISSIONS.into(), count.to_string());
            tx.prepare_cached("UPDATE flows SET plugin_state = ?2 WHERE id = ?1")?
                .execute(params![
                    uuid_text(id),
                    to_json("flows.plugin_state", &state)?
                ])?;
            Ok(count)
        })
    }

    /// Deletes at most `limit` flows that expired strictly before `before`, oldest first.
    pub fn delete_expired_flows(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(|tx| {
            Ok(tx
                .prepare_cached(
                    "DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE expires_at < ?1 \
                     ORDER BY expires_at LIMIT ?2)",
                )?
                .execute(params![timestamp(&before), limit as i64])?)
        })
    }
}

/// Rewrites a flow's row; part of any transaction that completes a flow. The submission count
/// is kept as stored: the flow being written was read before submissions counted since.
pub(super) fn update_flow_row(tx: &Transaction<'_>, flow: &Flow) -> Result<(), StoreError> {
    let mut plugin_state = flow.plugin_state.clone();
    if let Some(stored) = stored_state(tx, flow.id)? {
        let count = count_in(&stored);
        if count > 0 {
            plugin_state.insert(SUBMISSIONS.into(), count.to_string());
        }
    }
    let changed = tx
        .prepare_cached(
            "UPDATE flows SET state = ?2, issued_at = ?3, expires_at = ?4, \
             request_url = ?5, return_to = ?6, requested_aal = ?7, refresh = ?8, \
             identity_id = ?9, session_id = ?10, csrf_token = ?11, plugin_state = ?12, \
             ui = ?13, schema_id = ?14 WHERE id = ?1",
        )?
        .execute(params![
            uuid_text(flow.id),
            flow.state.as_str(),
            timestamp(&flow.issued_at),
            timestamp(&flow.expires_at),
            flow.request_url,
            flow.return_to,
            flow.requested_aal.as_str(),
            flow.refresh,
            flow.identity_id.map(uuid_text),
            flow.session_id.map(uuid_text),
            flow.csrf_token,
            to_json("flows.plugin_state", &plugin_state)?,
            to_json("flows.ui", &flow.ui)?,
            flow.schema_id,
        ])?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// A flow's `plugin_state` as stored, count included; `None` when there is no such flow.
fn stored_state(
    tx: &Transaction<'_>,
    id: Uuid,
) -> Result<Option<BTreeMap<String, String>>, StoreError> {
    query_optional(
        tx,
        "SELECT plugin_state FROM flows WHERE id = ?1",
        params![uuid_text(id)],
        |row| row.get::<_, String>(0),
    )?
    .map(|text| from_json("flows.plugin_state", &text))
    .transpose()
}

fn count_in(state: &BTreeMap<String, String>) -> u32 {
    state
        .get(SUBMISSIONS)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

fn without_count(mut state: BTreeMap<String, String>) -> BTreeMap<String, String> {
    state.remove(SUBMISSIONS);
    state
}

#[async_trait]
impl FlowRepository for SqliteStore {
    async fn insert_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        let flow = flow.clone();
        self.blocking(move |db| db.insert_flow(&flow)).await
    }

    async fn get_flow(&self, id: Uuid) -> Result<Option<Flow>, StoreError> {
        self.inline(|db| db.get_flow(id))
    }

    async fn update_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        let flow = flow.clone();
        self.blocking(move |db| db.update_flow(&flow)).await
    }

    async fn count_submission(&self, id: Uuid) -> Result<u32, StoreError> {
        self.blocking(move |db| db.count_submission(id)).await
    }

    async fn delete_expired_flows(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.blocking(move |db| db.delete_expired_flows(before, limit))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::*;
    use chrono::Duration;
    use serde_json::json;

    #[test]
    fn flow_round_trip() {
        let (_dir, store) = temp_store();
        let flow = flow(at(600));
        store.insert_flow(&flow).unwrap();
        assert_eq!(store.get_flow(flow.id).unwrap(), Some(flow));

        let mut bare = super::super::testing::flow(at(600));
        bare.kind = FlowKind::Settings;
        bare.variant = FlowVariant::Api;
        bare.return_to = None;
        bare.identity_id = None;
        bare.session_id = Some(Uuid::new_v4());
        bare.csrf_token = None;
        bare.refresh = false;
        bare.plugin_state.clear();
        store.insert_flow(&bare).unwrap();
        assert_eq!(store.get_flow(bare.id).unwrap(), Some(bare));
        assert_eq!(store.get_flow(Uuid::new_v4()).unwrap(), None);
    }

    #[test]
    fn update_flow_replaces_state() {
        let (_dir, store) = temp_store();
        let mut flow = flow(at(600));
        store.insert_flow(&flow).unwrap();

        flow.state = FlowState::PassedChallenge;
        flow.expires_at = at(5);
        flow.plugin_state.insert("password".into(), "{}".into());
        flow.ui = json!({ "messages": [{ "id": 4000006 }] });
        flow.csrf_token = None;
        store.update_flow(&flow).unwrap();
        assert_eq!(store.get_flow(flow.id).unwrap(), Some(flow));

        let missing = store.update_flow(&super::super::testing::flow(at(1)));
        assert!(matches!(missing, Err(StoreError::NotFound)), "{missing:?}");
    }

    #[test]
    fn delete_expired_flows_uses_chronological_order() {
        let (_dir, store) = temp_store();
        let cutoff = at(1000);
        let expired = flow(cutoff - Duration::nanoseconds(1));
        let exact = flow(cutoff);
        let fresh = flow(cutoff + Duration::days(400));
        for f in [&expired, &exact, &fresh] {
            store.insert_flow(f).unwrap();
        }

        assert_eq!(store.delete_expired_flows(cutoff, 100).unwrap(), 1);
        assert_eq!(store.get_flow(expired.id).unwrap(), None);
        assert!(store.get_flow(exact.id).unwrap().is_some());
        assert!(store.get_flow(fresh.id).unwrap().is_some());
        assert_eq!(store.delete_expired_flows(cutoff, 100).unwrap(), 0);
    }

    #[test]
    fn corrupt_flow_is_reported() {
        let (dir, store) = temp_store();
        let flow = flow(at(600));
        store.insert_flow(&flow).unwrap();
        raw_connection(&dir)
            .execute("UPDATE flows SET expires_at = 'tomorrow'", [])
            .unwrap();
        let result = store.get_flow(flow.id);
        assert!(matches!(result, Err(StoreError::Corrupt(_))), "{result:?}");
    }
}
