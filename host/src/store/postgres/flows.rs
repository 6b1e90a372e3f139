//! Self-service flows, kept between the requests of a login, registration or settings run.
//!
//! The submission count ([`FlowRepository::count_submission`]) has a column of its own, which
//! no flow write but counting touches: a flow written back after it was read keeps the
//! submissions counted since.

use super::codec::{corrupt, execute, from_json, get, parse_enum, query_opt, to_json};
use super::{PgStore, StoreError};
use crate::model::{Aal, Flow, FlowKind, FlowState, FlowVariant};
use crate::store::FlowRepository;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use deadpool_postgres::GenericClient;
use tokio_postgres::Row;
use uuid::Uuid;

fn decode(row: &Row) -> Result<Flow, StoreError> {
    let kind: &str = get(row, 1, "flows.kind")?;
    let variant: &str = get(row, 2, "flows.variant")?;
    let state: &str = get(row, 3, "flows.state")?;
    let requested_aal: &str = get(row, 8, "flows.requested_aal")?;
    Ok(Flow {
        id: get(row, 0, "flows.id")?,
        kind: parse_enum("flows.kind", kind, FlowKind::parse)?,
        variant: parse_enum("flows.variant", variant, FlowVariant::parse)?,
        state: parse_enum("flows.state", state, FlowState::parse)?,
        issued_at: get(row, 4, "flows.issued_at")?,
        expires_at: get(row, 5, "flows.expires_at")?,
        request_url: get(row, 6, "flows.request_url")?,
        return_to: get(row, 7, "flows.return_to")?,
        requested_aal: parse_enum("flows.requested_aal", requested_aal, Aal::parse)?,
        refresh: get(row, 9, "flows.refresh")?,
        identity_id: get(row, 10, "flows.identity_id")?,
        session_id: get(row, 11, "flows.session_id")?,
        csrf_token: get(row, 12, "flows.csrf_token")?,
        plugin_state: from_json("flows.plugin_state", get(row, 13, "flows.plugin_state")?)?,
        ui: get(row, 14, "flows.ui")?,
        schema_id: get(row, 15, "flows.schema_id")?,
    })
}

/// Rewrites a flow's row, its submission count excepted; part of any transaction that
/// completes a flow or queues the messages a flow caused.
pub(super) async fn update_flow_row(
    client: &impl GenericClient,
    flow: &Flow,
) -> Result<(), StoreError> {
    let changed = execute(
        client,
        "UPDATE flows SET state = $2, issued_at = $3, expires_at = $4, request_url = $5, \
         return_to = $6, requested_aal = $7, refresh = $8, identity_id = $9, session_id = $10, \
         csrf_token = $11, plugin_state = $12, ui = $13, schema_id = $14 WHERE id = $1",
        &[
            &flow.id,
            &flow.state.as_str(),
            &flow.issued_at,
            &flow.expires_at,
            &flow.request_url,
            &flow.return_to,
            &flow.requested_aal.as_str(),
            &flow.refresh,
            &flow.identity_id,
            &flow.session_id,
            &flow.csrf_token,
            &to_json("flows.plugin_state", &flow.plugin_state)?,
            &flow.ui,
            &flow.schema_id,
        ],
    )
    .await?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

#[async_trait]
impl FlowRepository for PgStore {
    async fn insert_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        self.write(async |tx| {
            execute(
                tx,
                "INSERT INTO flows (id, kind, variant, state, issued_at, expires_at, \
                 request_url, return_to, requested_aal, refresh, identity_id, session_id, \
                 csrf_token, plugin_state, ui, schema_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
                &[
                    &flow.id,
                    &flow.kind.as_str(),
                    &flow.variant.as_str(),
                    &flow.state.as_str(),
                    &flow.issued_at,
                    &flow.expires_at,
                    &flow.request_url,
                    &flow.return_to,
                    &flow.requested_aal.as_str(),
                    &flow.refresh,
                    &flow.identity_id,
                    &flow.session_id,
                    &flow.csrf_token,
                    &to_json("flows.plugin_state", &flow.plugin_state)?,
                    &flow.ui,
                    &flow.schema_id,
                ],
            )
            .await?;
            Ok(())
        })
        .await
    }

    async fn get_flow(&self, id: Uuid) -> Result<Option<Flow>, StoreError> {
        query_opt(
            &self.client().await?,
            "SELECT id, kind, variant, state, issued_at, expires_at, request_url, return_to, \
             requested_aal, refresh, identity_id, session_id, csrf_token, plugin_state, ui, \
             schema_id FROM flows WHERE id = $1",
            &[&id],
        )
        .await?
        .map(|row| decode(&row))
        .transpose()
    }

    async fn update_flow(&self, flow: &Flow) -> Result<(), StoreError> {
        self.write(async |tx| update_flow_row(tx, flow).await).await
    }

    async fn count_submission(&self, id: Uuid) -> Result<u32, StoreError> {
        // One statement: a parallel count waits for this row's lock, then adds to its result.
        let row = self
            .write(async |tx| {
                query_opt(
                    tx,
                    "UPDATE flows SET submissions = submissions + 1 WHERE id = $1 \
                     RETURNING submissions",
                    &[&id],
                )
                .await
            })
            .await?
            .ok_or(StoreError::NotFound)?;
        let count: i64 = get(&row, 0, "flows.submissions")?;
        if count < 0 {
            return Err(corrupt("flows.submissions", "is negative"));
        }
        // As SQLite's count does, stop at the largest count the port can tell.
        Ok(u32::try_from(count).unwrap_or(u32::MAX))
    }

    async fn delete_expired_flows(
        &self,
        before: DateTime<Utc>,
        limit: usize,
    ) -> Result<usize, StoreError> {
        self.write(async |tx| {
            let deleted = execute(
                tx,
                "DELETE FROM flows WHERE id IN (SELECT id FROM flows WHERE expires_at < $1 \
                 ORDER BY expires_at LIMIT $2)",
                &[&before, &(limit as i64)],
            )
            .await?;
            Ok(deleted as usize)
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::super::testing::two_stores;
    use super::*;
    use crate::store::fixtures::{at, flow};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn submissions_counted_on_two_nodes_at_once_are_all_counted() {
        let (first, second) = two_stores().await;
        let mut flow = flow(at(600));
        first.insert_flow(&flow).await.unwrap();

        let count = |store: PgStore| async move {
            let mut counts = Vec::new();
            for _ in 0..10 {
                counts.push(store.count_submission(flow.id).await.unwrap());
            }
            counts
        };
        let (a, b) = tokio::join!(
            tokio::spawn(count(first.clone())),
            tokio::spawn(count(second.clone()))
        );
        // A node writing back the flow it read before those submissions keeps the count.
        flow.plugin_state.insert("totp".into(), "{}".into());
        second.update_flow(&flow).await.unwrap();

        let mut counts = [a.unwrap(), b.unwrap()].concat();
        counts.sort_unstable();
        assert_eq!(counts, (1..=20).collect::<Vec<u32>>());
        assert_eq!(first.count_submission(flow.id).await.unwrap(), 21);
        assert_eq!(first.get_flow(flow.id).await.unwrap(), Some(flow));
    }
}
