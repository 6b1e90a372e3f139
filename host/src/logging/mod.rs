//! Log set-up from Kratos' `log.level` / `log.format`.

mod json;
pub(crate) mod plugin_fields;
mod text;

use crate::config::Config;
use tracing_subscriber::EnvFilter;

pub fn init(config: &Config) {
    // Kratos' levels beyond tracing's map onto its nearest.
    let level = match config.log.level.as_str() {
        "warning" => "warn",
        "fatal" | "panic" => "error",
        other => other,
    };
    let filter = EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| EnvFilter::new(format!("{level},wasmtime=warn,cranelift=warn")));
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
