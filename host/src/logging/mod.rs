//! Log set-up from Kratos' `log.level` / `log.format`.

mod json;
pub(crate) mod plugin_fields;
mod text;

use crate::config::Config;
use tracing_subscriber::EnvFilter;

/// Libraries whose debug output carries stored values.
const QUIET_WITH_SECRETS: &[&str] = &["tokio_postgres=info", "deadpool_postgres=info"];

pub fn init(config: &Config) {
    // Kratos' levels beyond tracing's map onto its nearest.
    let level = match config.log.level.as_str() {
        "warning" => "warn",
        "fatal" | "panic" => "error",
        other => other,
    };
    let mut filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},wasmtime=warn,cranelift=warn")));
    // The PostgreSQL client logs every statement's parameters at debug level: token hashes,
    // credential configs and flow state. Only `log.leak_sensitive_values` lets them through.
    if !config.log.leak_sensitive_values {
        for quiet in QUIET_WITH_SECRETS {
            filter = filter.add_directive(quiet.parse().expect("a valid directive"));
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = if config.log.format == "json" {
        builder
            .json()
            .event_format(json::JsonWithPluginFields(
                tracing_subscriber::fmt::format().json(),
            ))
            .try_init()
    } else {
        builder.fmt_fields(text::TextFields).try_init()
    };
}
