//! Command-line tools other than `serve`.

use crate::clock::SystemClock;
use crate::config::Config;
use crate::plugin::check::{FactorReport, Imports, PolicyReport, check_factor, check_policy};
use crate::plugin::versions;
use std::path::Path;
use std::sync::Arc;

/// `latchkey plugin check [--policy] FILE`: prints what the server would load, or why not.
pub fn plugin_check(config: &Config, file: &Path, policy: bool) -> anyhow::Result<()> {
    let runtime = crate::plugin::plugin_runtime(config, Arc::new(SystemClock))?;
    if policy {
        print_policy(file, &check_policy(&runtime, config, file)?);
    } else {
        print_factor(file, &check_factor(&runtime, config, file)?);
    }
    Ok(())
}

fn print_factor(file: &Path, report: &FactorReport) {
    let info = &report.info;
    let line = versions::line_of(&report.wit_version).unwrap_or_default();
    println!("component:    {}", file.display());
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
        info.role.as_str(),
        info.aal.as_str()
    );
    let flows: Vec<&str> = info.flows.iter().map(|f| f.as_str()).collect();
    println!("flows:        {}", flows.join(", "));
    print_imports(&report.imports);
    for grant in &report.grants {
        println!("{grant}");
    }
}

fn print_policy(file: &Path, report: &PolicyReport) {
    println!("component:    {}", file.display());
    println!(
        "wit:          latchkey:policy@{} (this host supports 0.1.x: yes)",
        report.wit_version
    );
    println!("policy:       {}", report.info.name);
    println!("version:      {}", report.info.version);
    let hooks: Vec<&str> = report.info.hooks.iter().map(|h| h.as_str()).collect();
    println!("hooks:        {}", hooks.join(", "));
    print_imports(&report.imports);
}

fn print_imports(imports: &Imports) {
    println!(
        "capabilities: {}",
        if imports.capabilities.is_empty() {
            "none".to_string()
        } else {
            imports.capabilities.join(", ")
        }
    );
    println!("wasi:         {} (locked down)", imports.wasi.join(", "));
}

pub mod new_plugin;
