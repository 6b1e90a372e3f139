//! Components made by the tests from WIT text, for what no real plugin should be: a dummy core
//! module whose every function traps, with the world's types embedded, wrapped into a
//! component. That is enough for `latchkey plugin check`, which reads a component's types and
//! links it before it calls anything.

use std::path::{Path, PathBuf};
use wit_component::{ComponentEncoder, StringEncoding, dummy_module, embed_component_metadata};
use wit_parser::{LiftLowerAbi, ManglingAndAbi, Resolve};

fn wit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(wit_dir().join(path)).unwrap()
}

/// The current factor package as one WIT file, after `edit` (remove a function, change the
/// version…).
pub fn factor_package(edit: impl Fn(String) -> String) -> String {
    let types = read("factor@0.3.0/types.wit");
    let plugin = read("factor@0.3.0/plugin.wit");
    let (_, plugin_body) = plugin.split_once('\n').unwrap();
    edit(format!("{types}\n{plugin_body}"))
}

/// A component for `world` of the package `main`, which may use the host capabilities
/// (`latchkey:host`) and the packages in `deps`.
pub fn build(deps: &[String], main: &str, world: &str) -> Vec<u8> {
    let mut resolve = Resolve::default();
    // Both versions of the capabilities: the current factor package imports 0.1.1, the
    // policy package 0.1.0.
    for (name, path) in [
        ("host-0.1.0.wit", "host@0.1.0/capabilities.wit"),
        ("host-0.1.1.wit", "host@0.1.1/capabilities.wit"),
    ] {
        resolve.push_str(name, &read(path)).unwrap();
    }
    for (i, dep) in deps.iter().enumerate() {
        resolve.push_str(format!("dep{i}.wit"), dep).unwrap();
    }
    let package = resolve.push_str("main.wit", main).unwrap();
    let world = resolve.select_world(&[package], Some(world)).unwrap();
    let mut module = dummy_module(&resolve, world, ManglingAndAbi::Legacy(LiftLowerAbi::Sync));
    embed_component_metadata(&mut module, &resolve, world, StringEncoding::UTF8).unwrap();
    ComponentEncoder::default()
        .module(&module)
        .unwrap()
        .validate(true)
        .encode()
        .unwrap()
}
