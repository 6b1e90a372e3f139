//! The database the servers of a run use: a SQLite file in each test's working directory, or,
//! with `LATCHKEY_TEST_DATABASE=postgres`, a new database per working directory on one
//! throwaway PostgreSQL cluster for the whole run (tests/peers/postgres/cluster.sh, from
//! Debian's `postgresql` package). Everything else about a test is the same on both.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// Whether this run's servers use PostgreSQL.
pub fn on_postgres() -> bool {
    match std::env::var("LATCHKEY_TEST_DATABASE").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("LATCHKEY_TEST_DATABASE must be sqlite or postgres, not {other:?}"),
    }
}

/// A DSN for a new, empty database kept in (or for) the working directory `dir`.
pub fn fresh(dir: &Path) -> String {
    if on_postgres() {
        fresh_postgres()
    } else {
        format!("sqlite://{}/latchkey.db?mode=rwc", dir.display())
    }
}

struct Cluster {
    socket_dir: String,
    /// Its standard input stays open while the test process lives; the cluster goes with it.
    _script: Mutex<Child>,
}

/// The run's PostgreSQL cluster, started on first use.
pub fn cluster_socket_dir() -> &'static str {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    &CLUSTER
        .get_or_init(|| {
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/peers/postgres/cluster.sh");
            let dir =
                std::env::temp_dir().join(format!("latchkey-blackbox-pg-{}", std::process::id()));
            let mut child = Command::new(script)
                .arg(&dir)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("starting tests/peers/postgres/cluster.sh");
            let mut ready = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut ready)
                .unwrap();
            assert!(
                ready.starts_with("ready "),
                "the test PostgreSQL did not start; is Debian's postgresql package installed?"
            );
            Cluster {
                socket_dir: dir.display().to_string(),
                _script: Mutex::new(child),
            }
        })
        .socket_dir
}

/// The DSN of database `name` on the run's cluster.
pub fn postgres_dsn(name: &str) -> String {
    format!(
        "postgres://postgres@localhost/{name}?host={}",
        cluster_socket_dir()
    )
}

/// Creates a new database on the run's cluster and returns its DSN.
pub fn fresh_postgres() -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    run_sql("postgres", &format!("CREATE DATABASE {name}"));
    postgres_dsn(&name)
}

/// The database name in a DSN [`postgres_dsn`] made.
pub fn name_of(dsn: &str) -> &str {
    let path = dsn
        .split_once("@localhost/")
        .expect("a DSN of the test cluster")
        .1;
    path.split('?').next().unwrap()
}

/// Runs `sql` on database `name` and returns the first column of every row, as text. On a
/// thread of its own, so that async tests may call it too.
pub fn run_sql(name: &str, sql: &str) -> Vec<String> {
    let (dsn, sql) = (postgres_dsn(name), sql.to_string());
    std::thread::spawn(move || run_sql_here(&dsn, &sql))
        .join()
        .expect("running SQL on the test cluster")
}

fn run_sql_here(dsn: &str, sql: &str) -> Vec<String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(dsn, tokio_postgres::NoTls)
            .await
            .expect("connecting to the test cluster");
        let connection = tokio::spawn(connection);
        let rows = client.simple_query(sql).await.expect(sql);
        drop(client);
        let _ = connection.await;
        rows.into_iter()
            .filter_map(|message| match message {
                tokio_postgres::SimpleQueryMessage::Row(row) => {
                    Some(row.get(0).unwrap_or_default().to_string())
                }
                _ => None,
            })
            .collect()
    })
}
