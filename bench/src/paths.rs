//! Where the server binary and the plugin components are.

use std::path::{Path, PathBuf};

pub struct Paths {
    /// `target/release/latchkey`, next to this benchmark's own executable.
    pub binary: PathBuf,
    /// `target/plugins`, where `make plugins` puts the components.
    pub plugin_dir: PathBuf,
}

impl Paths {
    pub fn discover() -> Paths {
        let exe_dir = std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(Path::to_path_buf))
            .unwrap_or_else(|| PathBuf::from("target/release"));
        let binary = std::env::var_os("LATCHKEY_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| exe_dir.join("latchkey"));
        let plugin_dir = std::env::var_os("LATCHKEY_PLUGIN_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| exe_dir.parent().unwrap_or(&exe_dir).join("plugins"));
        Paths {
            binary: absolute(binary),
            plugin_dir: absolute(plugin_dir),
        }
    }

    pub fn plugin(&self, name: &str) -> PathBuf {
        self.plugin_dir.join(format!("{name}.wasm"))
    }

    /// Why the server rows cannot run, if they cannot.
    pub fn missing(&self) -> Option<String> {
        if !self.binary.exists() {
            return Some(format!(
                "{} is missing: run `cargo build --release -p latchkey`",
                self.binary.display()
            ));
        }
        if !self.plugin("password").exists() {
            return Some(format!(
                "{} is missing: run `make plugins`",
                self.plugin("password").display()
            ));
        }
        None
    }
}

fn absolute(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}
