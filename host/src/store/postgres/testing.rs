//! A throwaway PostgreSQL for the tests: one cluster per test process, started by
//! tests/peers/postgres/cluster.sh from Debian's `postgresql` package, and a fresh database
//! per test. The cluster stops and its directory goes when the process exits and closes the
//! script's standard input.

use super::PgStore;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};

struct Cluster {
    socket_dir: String,
    /// Kept so that its standard input stays open while the process lives.
    _script: Mutex<Child>,
}

fn cluster() -> &'static Cluster {
    static CLUSTER: OnceLock<Cluster> = OnceLock::new();
    CLUSTER.get_or_init(|| {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/peers/postgres/cluster.sh"
        );
        let dir = std::env::temp_dir().join(format!("latchkey-pg-{}", std::process::id()));
        let mut child = Command::new(script)
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting tests/peers/postgres/cluster.sh");
        let mut ready = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut ready)
            .expect("reading the cluster's first line");
        assert!(
            ready.starts_with("ready "),
            "the test PostgreSQL did not start (Debian's postgresql package must be installed; \
             `make test-deps` installs it)"
        );
        Cluster {
            socket_dir: dir.display().to_string(),
            _script: Mutex::new(child),
        }
    })
}

/// The DSN of a new, empty database on the test cluster.
pub(crate) async fn fresh_dsn() -> String {
    let cluster = cluster();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let admin = format!(
        "postgres://postgres@localhost/postgres?host={}",
        cluster.socket_dir
    );
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .expect("connecting to the test cluster");
    let connection = tokio::spawn(connection);
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("creating a test database");
    drop(client);
    let _ = connection.await;
    format!(
        "postgres://postgres@localhost/{name}?host={}&max_conns=8",
        cluster.socket_dir
    )
}

/// A migrated store on a new database.
pub(crate) async fn fresh_store() -> PgStore {
    let store = PgStore::open(&fresh_dsn().await).expect("opening the test database");
    crate::store::Store::migrate(&store)
        .await
        .expect("migrating the test database");
    store
}

/// Two stores on one new, migrated database, as two nodes serving it hold.
pub(crate) async fn two_stores() -> (PgStore, PgStore) {
    let dsn = fresh_dsn().await;
    let first = PgStore::open(&dsn).expect("opening the test database");
    crate::store::Store::migrate(&first)
        .await
        .expect("migrating the test database");
    let second = PgStore::open(&dsn).expect("opening the test database again");
    (first, second)
}
