//! Precompiled components on disk, so that a restart does not recompile.
//!
//! An artifact is named by wasmtime's compatibility hash (engine version and settings) and the
//! SHA-256 of the `.wasm` file: replacing the file or upgrading the host picks a new name, and
//! stale artifacts are simply never read again.

use anyhow::Context;
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::Engine;
use wasmtime::component::Component;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    Hit,
    Compiled,
}

pub(crate) struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> CompileCache {
        CompileCache { dir: dir.into() }
    }

    fn artifact_path(&self, engine: &Engine, wasm: &[u8]) -> PathBuf {
        let mut compat = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut compat);
        let digest = hex::encode(Sha256::digest(wasm));
        self.dir
            .join(format!("{:016x}-{digest}.cwasm", compat.finish()))
    }

    pub(crate) fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
    ) -> anyhow::Result<(Component, CacheOutcome)> {
        let path = self.artifact_path(engine, wasm);
        if path.exists() {
            // SAFETY: the artifact was written by this cache from `precompile_component` on an
            // engine with the same compatibility hash (part of its name), and the cache
            // directory belongs to the operator running Latchkey.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(err) => {
                    tracing::warn!(path = %path.display(), %err, "discarding unreadable compiled plugin")
                }
            }
        }
        let compiled = engine.precompile_component(wasm)?;
        // SAFETY: the bytes were produced by `precompile_component` of this very engine just now.
        let component = unsafe { Component::deserialize(engine, &compiled)? };
        if let Err(err) = write_atomically(&path, &compiled) {
            tracing::warn!(dir = %self.dir.display(), %err, "compiled plugin cache is not writable; plugins will be recompiled at next start");
        }
        Ok((component, CacheOutcome::Compiled))
    }
}

/// Writes through a temporary file and a rename so that a crash never leaves a torn artifact
/// under the final name.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = path.parent().context("cache path has no directory")?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("renaming to {}", path.display()))?;
    Ok(())
}
