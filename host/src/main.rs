use clap::{Args, Parser, Subcommand};
use latchkey::config::{self, Config};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "latchkey",
    version,
    about = "An identity server speaking the Ory Kratos API, with WebAssembly factor plugins"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct ConfigArgs {
    /// Kratos-format config file; repeat to merge several (later files win).
    #[arg(short = 'c', long = "config", global = true)]
    config: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the public and admin listeners.
    Serve {
        #[command(flatten)]
        config: ConfigArgs,
        /// Development mode: cookies without `Secure`, for plain-HTTP localhost.
        #[arg(long)]
        dev: bool,
    },
    /// Database migrations.
    Migrate {
        #[command(subcommand)]
        what: MigrateCommand,
    },
    /// Plugin tools.
    Plugin {
        #[command(subcommand)]
        what: PluginCommand,
    },
    /// Identity tools.
    Identities {
        #[command(subcommand)]
        what: IdentitiesCommand,
    },
    /// Deleting expired data.
    Cleanup {
        #[command(subcommand)]
        what: CleanupCommand,
    },
}

#[derive(Subcommand)]
enum CleanupCommand {
    /// Deletes expired sessions, flows and stored errors, as `kratos cleanup sql`: one batch
    /// per table unless `--all` is given. The server also does this by itself every
    /// `database.cleanup.interval`.
    Sql {
        /// The database to clean; defaults to `dsn` from the config (and `DSN`).
        dsn: Option<String>,
        /// Read the DSN from the `DSN` environment variable (Kratos' `-e`).
        #[arg(short = 'e', long = "read-from-env")]
        read_from_env: bool,
        /// Keep what expired less than this long ago (`24h`); default
        /// `database.cleanup.older_than`.
        #[arg(long = "keep-last", value_parser = config::parse_duration)]
        keep_last: Option<std::time::Duration>,
        /// Rows per batch; default `database.cleanup.batch_size`.
        #[arg(
            short = 'b',
            long = "batch-size",
            alias = "database.cleanup.batch_size"
        )]
        batch_size: Option<usize>,
        /// The pause between tables; default `database.cleanup.sleep.tables`.
        #[arg(long = "sleep", alias = "database.cleanup.sleep.tables", value_parser = config::parse_duration)]
        sleep: Option<std::time::Duration>,
        /// Repeat batches until nothing expired is left.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum IdentitiesCommand {
    /// Creates identities from a file of `POST /admin/identities` bodies (a JSON array, or one
    /// JSON object per line), each on its own; prints `ok <id>` or `failed record N: <reason>`.
    Import {
        file: PathBuf,
        #[command(flatten)]
        config: ConfigArgs,
    },
}

#[derive(Subcommand)]
enum MigrateCommand {
    /// Applies pending SQL migrations.
    Sql {
        /// The database to migrate; defaults to `dsn` from the config (and `DSN`).
        dsn: Option<String>,
        /// Read the DSN from the `DSN` environment variable (Kratos' `-e`).
        #[arg(short = 'e', long = "read-from-env")]
        read_from_env: bool,
        /// Accepted for Kratos compatibility; migrations never ask.
        #[arg(short = 'y', long)]
        yes: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Copies identities, their credentials and sessions from one database to another (a
    /// SQLite file onto PostgreSQL, say), migrating the destination first. Flows, stored
    /// errors, sign-in failure counts and unsent messages are not copied; stop the servers on
    /// the old database first. Running it again skips what is already there.
    Copy {
        /// The database to read, e.g. `sqlite:///var/lib/latchkey/db.sqlite?mode=rw`.
        from: String,
        /// The database to fill, e.g. `postgres://latchkey:…@db:5432/latchkey`.
        to: String,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Loads a component and reports what it is, or why the host would refuse it.
    Check {
        file: PathBuf,
        /// Check a policy component (`plugins.policies`) instead of a factor.
        #[arg(long)]
        policy: bool,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Writes a new factor plugin crate from the template, ready for `cargo test` and a
    /// `wasm32-wasip2` build.
    New {
        /// The crate's name and directory; the method id is this with `_` for `-`.
        name: String,
        /// A second factor (aal2) rather than a first one.
        #[arg(long)]
        second_factor: bool,
        /// The directory to create the crate in.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Depend on the SDK at this path (a checkout's `plugins/sdk`, or a copy).
        #[arg(long, conflicts_with = "sdk_git")]
        sdk_path: Option<PathBuf>,
        /// Depend on the SDK in this Latchkey repository, at `--sdk-tag`.
        #[arg(long)]
        sdk_git: Option<String>,
        /// The tag of `--sdk-git`; this release's by default.
        #[arg(long, requires = "sdk_git")]
        sdk_tag: Option<String>,
    },
}

fn load_config(args: &ConfigArgs) -> Result<Config, String> {
    let loaded =
        config::load(&args.config, &|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    latchkey::logging::init(&loaded.config);
    for warning in &loaded.warnings {
        tracing::warn!("{warning}");
    }
    Ok(loaded.config)
}

/// The database a command works on: the argument, `DSN` with `-e`, else the config's `dsn`.
fn dsn_of(dsn: Option<String>, read_from_env: bool, config: &Config) -> Result<String, String> {
    match (dsn, read_from_env) {
        (Some(dsn), _) => Ok(dsn),
        (None, true) => {
            std::env::var("DSN").map_err(|_| "`-e` was given but DSN is not set".to_string())
        }
        (None, false) => Ok(config.dsn.clone()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Serve { config, dev } => {
            let mut config = load_config(&config)?;
            config.dev = dev;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime
                .block_on(latchkey::server::serve(config))
                .map_err(|e| format!("{e:#}"))
        }
        Command::Migrate {
            what:
                MigrateCommand::Sql {
                    dsn,
                    read_from_env,
                    yes: _,
                    config,
                },
        } => {
            let config = load_config(&config)?;
            let dsn = dsn_of(dsn, read_from_env, &config)?;
            let store = latchkey::store::open(&dsn).map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let applied = runtime
                .block_on(store.migrate())
                .map_err(|e| e.to_string())?;
            if applied.is_empty() {
                println!("The database is up to date.");
            }
            for m in applied {
                println!("Applied migration {} ({})", m.version, m.name);
            }
            Ok(())
        }
        Command::Migrate {
            what: MigrateCommand::Copy { from, to },
        } => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let copied = runtime
                .block_on(async {
                    let source = latchkey::store::open(&from)?;
                    let destination = latchkey::store::open(&to)?;
                    source.ping().await?;
                    destination.migrate().await?;
                    latchkey::store::copy::copy(source.as_ref(), destination.as_ref()).await
                })
                .map_err(|e| e.to_string())?;
            println!(
                "Copied {} identities and {} sessions ({} already there).",
                copied.identities, copied.sessions, copied.already_there
            );
            Ok(())
        }
        Command::Cleanup {
            what:
                CleanupCommand::Sql {
                    dsn,
                    read_from_env,
                    keep_last,
                    batch_size,
                    sleep,
                    all,
                    config,
                },
        } => {
            let config = load_config(&config)?;
            let dsn = dsn_of(dsn, read_from_env, &config)?;
            let mut settings = config.database.cleanup.clone();
            settings.older_than = keep_last.unwrap_or(settings.older_than);
            settings.batch_size = batch_size.unwrap_or(settings.batch_size).max(1);
            settings.sleep.tables = sleep.unwrap_or(settings.sleep.tables);
            let reach = if all {
                latchkey::cleanup::Reach::Everything
            } else {
                latchkey::cleanup::Reach::OneBatch
            };
            let store = latchkey::store::open(&dsn).map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let swept = runtime
                .block_on(latchkey::cleanup::sweep(
                    store.as_ref(),
                    chrono::Utc::now(),
                    &settings,
                    config.selfservice.flows.login.throttle.forget_after,
                    reach,
                ))
                .map_err(|e| e.to_string())?;
            println!(
                "Deleted {} expired sessions, {} flows and {} errors, and {} stale sign-in failure counts.",
                swept.sessions, swept.flows, swept.errors, swept.failure_counts
            );
            Ok(())
        }
        Command::Identities {
            what: IdentitiesCommand::Import { file, config },
        } => {
            let config = load_config(&config)?;
            let total_failed = latchkey::admin::import::run(config, &file)
                .map_err(|e| format!("{}: {e:#}", file.display()))?;
            match total_failed {
                (0, _) => Ok(()),
                (failed, total) => Err(format!("{failed} of {total} records failed")),
            }
        }
        Command::Plugin {
            what:
                PluginCommand::Check {
                    file,
                    policy,
                    config,
                },
        } => {
            let config = load_config(&config)?;
            latchkey::cli::plugin_check(&config, &file, policy)
                .map_err(|e| format!("{}: {e:#}", file.display()))
        }
        Command::Plugin {
            what:
                PluginCommand::New {
                    name,
                    second_factor,
                    dir,
                    sdk_path,
                    sdk_git,
                    sdk_tag,
                },
        } => {
            use latchkey::cli::new_plugin::{NewPlugin, SdkSource, release_tag, write};
            let sdk = match (sdk_path, sdk_git) {
                (Some(path), _) => Ok(SdkSource::Path(
                    std::path::absolute(&path).map_err(|e| format!("{}: {e}", path.display()))?,
                )),
                (None, Some(url)) => Ok(SdkSource::Git {
                    url,
                    tag: sdk_tag.unwrap_or_else(release_tag),
                }),
                (None, None) => SdkSource::default_for_this_build(),
            }
            .map_err(|e| format!("{e:#}"))?;
            let written = write(&NewPlugin {
                name: &name,
                second_factor,
                parent: &dir,
                sdk,
            })
            .map_err(|e| format!("{e:#}"))?;
            println!(
                "wrote {}
next: cd {} && make   (cargo test, then the .wasm)",
                written.display(),
                written.display()
            );
            Ok(())
        }
    }
}
