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
            let dsn = match (dsn, read_from_env) {
                (Some(dsn), _) => dsn,
                (None, true) => std::env::var("DSN")
                    .map_err(|_| "`-e` was given but DSN is not set".to_string())?,
                (None, false) => config.dsn.clone(),
            };
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
    }
}
