//! Host side of the factor world, current version (`latchkey:factor@0.2.0`): the generated
//! bindings, whose types the host uses throughout, and the capabilities a plugin imports.

use super::call_state::CallState;
use wasmtime::component::HasSelf;

wasmtime::component::bindgen!({
    path: "../wit/factor",
    world: "latchkey:factor/plugin",
    imports: { default: trappable },
});

pub use self::latchkey::factor::types;

use self::latchkey::host::{clock, log, outbound_http, password_hashing, random, settings};

/// The largest `random.bytes` request; larger ones trap, as the WIT promises.
const MAX_RANDOM_BYTES: u32 = 65_536;

impl types::Host for CallState {}

impl random::Host for CallState {
    fn bytes(&mut self, len: u32) -> wasmtime::Result<Vec<u8>> {
        if len > MAX_RANDOM_BYTES {
            wasmtime::bail!("random.bytes: {len} bytes requested, at most {MAX_RANDOM_BYTES}");
        }
        let mut buf = vec![0u8; len as usize];
        rand::fill(&mut buf[..]);
        Ok(buf)
    }
}

impl password_hashing::Host for CallState {
    fn argon2id_hash(
        &mut self,
        password: Vec<u8>,
        salt: Vec<u8>,
        p: password_hashing::Argon2Params,
    ) -> wasmtime::Result<Result<String, String>> {
        Ok(super::password_hashing::argon2id_hash(
            &password,
            &salt,
            p.memory_kib,
            p.iterations,
            p.parallelism,
            p.key_length,
        ))
    }

    fn argon2_verify(
        &mut self,
        phc: String,
        password: Vec<u8>,
    ) -> wasmtime::Result<Result<bool, String>> {
        Ok(super::password_hashing::argon2_verify(&phc, &password))
    }
}

impl clock::Host for CallState {
    fn now(&mut self) -> wasmtime::Result<clock::Instant> {
        let now = self.plugin.clock.now();
        Ok(clock::Instant {
            seconds: now.timestamp(),
            nanoseconds: now.timestamp_subsec_nanos(),
        })
    }
}

impl log::Host for CallState {
    fn emit(
        &mut self,
        level: log::Level,
        message: String,
        fields: Vec<(String, String)>,
    ) -> wasmtime::Result<()> {
        let plugin = self.plugin.name.as_str();
        let fields = render_fields(&fields);
        match level {
            log::Level::Trace => tracing::trace!(plugin, fields, "{message}"),
            log::Level::Debug => tracing::debug!(plugin, fields, "{message}"),
            log::Level::Info => tracing::info!(plugin, fields, "{message}"),
            log::Level::Warn => tracing::warn!(plugin, fields, "{message}"),
            log::Level::Error => tracing::error!(plugin, fields, "{message}"),
        }
        Ok(())
    }
}

fn render_fields(fields: &[(String, String)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(" ")
}

impl settings::Host for CallState {
    fn get(&mut self) -> wasmtime::Result<String> {
        Ok(self.plugin.settings_json.clone())
    }
}

impl outbound_http::Host for CallState {
    fn send(
        &mut self,
        req: outbound_http::Request,
    ) -> wasmtime::Result<Result<outbound_http::Response, outbound_http::Error>> {
        Ok(super::outbound_http::send(
            &self.plugin.name,
            &self.plugin.outbound_http,
            self.deadline,
            req,
        ))
    }
}

/// Adds WASI (locked down by the per-call context) and the Latchkey capabilities to `linker`,
/// for factors of every supported version.
pub fn add_to_linker(linker: &mut wasmtime::component::Linker<CallState>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    Plugin::add_to_linker::<_, HasSelf<_>>(linker, |s| s)?;
    super::factor_0_1::add_to_linker(linker)?;
    Ok(())
}
