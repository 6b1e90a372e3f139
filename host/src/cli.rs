//! Command-line tools other than `serve`.

use crate::clock::SystemClock;
use crate::config::Config;
use crate::plugin::check::{check, outbound_grant};
use crate::plugin::types::{FactorRole, FlowKind};
use crate::plugin::versions;
use std::path::Path;
use std::sync::Arc;

pub fn plugin_check(config: &Config, file: &Path) -> anyhow::Result<()> {
    let runtime = crate::server::plugin_runtime(config, Arc::new(SystemClock))?;
    let report = check(&runtime, file)?;
    let info = &report.info;
    println!("component:    {}", file.display());
    let line = versions::line_of(&report.wit_version).unwrap_or_default();
    let older = if line == versions::SUPPORTED[0] {
        String::new()
    } else {
        format!(
            "; older than the current {}, see docs/plugins.md#wit-versions",
            versions::CURRENT
        )
    };
    println!(
        "wit:          latchkey:factor@{} (this host supports {line}.x: yes){older}",
        report.wit_version
    );
    println!("method:       {}", info.id);
    println!("version:      {}", info.version);
    println!(
        "role:         {} factor, grants {}",
        match info.role {
            FactorRole::First => "first",
            FactorRole::Second => "second",
        },
        crate::flows::host_aal(info.aal).as_str()
    );
    let flows: Vec<&str> = info
        .flows
        .iter()
        .map(|f| match f {
            FlowKind::Login => "login",
            FlowKind::Registration => "registration",
            FlowKind::Settings => "settings",
        })
        .collect();
    println!("flows:        {}", flows.join(", "));
    println!(
        "capabilities: {}",
        if report.capabilities.is_empty() {
            "none".to_string()
        } else {
            report.capabilities.join(", ")
        }
    );
    if report.imports_outbound_http() {
        println!(
            "outbound:     imports outbound-http; {}",
            outbound_grant(config, file)
        );
    }
    println!("wasi:         {} (locked down)", report.wasi.join(", "));
    Ok(())
}
