//! `latchkey identities import FILE`: many `POST /admin/identities` bodies from a file, each
//! created by [`super::identities::create`] in its own transaction, so one bad record neither
//! stops the others nor leaves anything half-written.

use super::identities;
use crate::app::App;
use crate::config::Config;
use anyhow::Context;
use serde_json::Value;
use std::path::Path;
use uuid::Uuid;

/// What happened to one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Created(Uuid),
    Failed(String),
}

/// The records of a file: a JSON array of identities, or one identity per line (JSON lines;
/// blank lines are skipped). A line that is not JSON fails that record only; an array that is
/// not valid JSON fails the whole file.
pub fn parse_records(text: &str) -> Result<Vec<Result<Value, String>>, String> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('[') {
        let records: Vec<Value> = serde_json::from_str(text)
            .map_err(|e| format!("the file is not a valid JSON array: {e}"))?;
        return Ok(records.into_iter().map(Ok).collect());
    }
    Ok(text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| {
            serde_json::from_str::<Value>(line)
                .map_err(|e| format!("line {} is not valid JSON: {e}", index + 1))
        })
        .collect())
}

/// Creates every record in order.
pub async fn import_records(app: &App, records: Vec<Result<Value, String>>) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(records.len());
    for record in records {
        let outcome = match record {
            Ok(body) => match identities::create(app, body).await {
                Ok(view) => Outcome::Created(view.identity.id),
                Err(err) => Outcome::Failed(describe(&err.into())),
            },
            Err(reason) => Outcome::Failed(reason),
        };
        outcomes.push(outcome);
    }
    outcomes
}

fn describe(err: &crate::error::ApiError) -> String {
    if err.reason.is_empty() {
        err.message.clone()
    } else {
        err.reason.clone()
    }
}

/// The command: loads the server's database, schemas and plugins as `serve` does, imports
/// `file`, and prints `ok <id>` or `failed record N: <reason>` per record. Returns how many
/// records failed, and how many there were.
pub fn run(config: Config, file: &Path) -> anyhow::Result<(usize, usize)> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let records = parse_records(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let outcomes = runtime.block_on(async {
        let app = crate::server::build_app(config).await?;
        anyhow::Ok(import_records(&app, records).await)
    })?;
    let mut failed = 0;
    for (index, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Outcome::Created(id) => println!("ok {id}"),
            Outcome::Failed(reason) => {
                failed += 1;
                println!("failed record {}: {reason}", index + 1);
            }
        }
    }
    Ok((failed, outcomes.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn arrays_and_json_lines_both_work() {
        let array = parse_records(r#" [{"traits":{}}, {"traits":{"a":1}}] "#).unwrap();
        assert_eq!(array.len(), 2);
        assert_eq!(array[1], Ok(json!({ "traits": { "a": 1 } })));

        let lines = parse_records("{\"traits\":{}}\n\n  \n{\"traits\":{\"a\":1}}\n").unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines.iter().all(Result::is_ok));
    }

    #[test]
    fn a_bad_line_fails_alone_but_a_bad_array_fails_the_file() {
        let lines = parse_records("{\"traits\":{}}\nnot json\n{\"traits\":{}}").unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].is_ok() && lines[2].is_ok());
        assert!(lines[1].as_ref().unwrap_err().starts_with("line 2 "));

        assert!(parse_records("[{\"traits\":{}}, nope]").is_err());
    }
}
