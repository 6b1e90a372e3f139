//! The released WIT packages, each recorded by the SHA-256 of its text. A component built
//! against a released package relies on every type and function in it staying as it was, so
//! a released package never changes: a change goes into a new version of the package, in a
//! directory of its own, and the host goes on loading the old one beside it (as
//! `factor_0_1` does for `latchkey:factor@0.1.0`). Copies of a package under another's
//! `deps/` are held to the same text.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// Package, and the digest of its `.wit` files (see [`digest`]).
const RELEASED: [(&str, &str); 6] = [
    (
        "latchkey:host@0.1.0",
        "d55e7d375370cf5b90618ab3ccfea7fc44a0e95958e9a540b8d1fc9021ef3fa6",
    ),
    (
        "latchkey:host@0.1.1",
        "416d1f5d77846ca0a11d44713d45fabead18c5d16090bc6e5c7e40843b8c303a",
    ),
    (
        "latchkey:factor@0.3.0",
        "fec7da4957ca6f88d9ce28067affedce66e948472d47bff01afc360435839edc",
    ),
    (
        "latchkey:factor@0.1.0",
        "b39bcebb8ab5dbdc2124ed8ecb4855053de17496c777bfb0c9a0fe705f7164e8",
    ),
    (
        "latchkey:factor@0.2.0",
        "96c8ca74eaddb49a0338a30af9d6714ec981dcf2d516f9a7f229e8aac9c5e05d",
    ),
    (
        "latchkey:policy@0.1.0",
        "6099c177218b8d121167301840c96574322b15a75a90d8ca0c444b697fd5cbc7",
    ),
];

fn wit_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")
}

/// The `.wit` files directly in `dir`, sorted by name.
fn wit_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "wit"))
        .collect();
    files.sort();
    files
}

/// SHA-256 over each file's name and text, in name order.
fn digest(files: &[PathBuf]) -> String {
    let mut hash = Sha256::new();
    for file in files {
        let text = std::fs::read(file).unwrap();
        hash.update(file.file_name().unwrap().as_encoded_bytes());
        hash.update([0]);
        hash.update((text.len() as u64).to_le_bytes());
        hash.update(&text);
    }
    hex::encode(hash.finalize())
}

/// The `package` a directory's files declare (`latchkey:host@0.1.0`).
fn package_of(files: &[PathBuf]) -> String {
    files
        .iter()
        .flat_map(|file| {
            std::fs::read_to_string(file)
                .unwrap()
                .lines()
                .find_map(|line| line.trim().strip_prefix("package ").map(str::to_string))
        })
        .map(|declared| declared.trim_end_matches(';').trim().to_string())
        .next()
        .unwrap_or_else(|| panic!("{}: no `package` declaration", files[0].display()))
}

/// Every directory under `dir` that holds `.wit` files (packages and their `deps/` copies).
fn package_dirs(dir: &Path, found: &mut Vec<PathBuf>) {
    if !wit_files(dir).is_empty() {
        found.push(dir.to_path_buf());
    }
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            package_dirs(&path, found);
        }
    }
}

#[test]
fn released_packages_never_change() {
    let mut dirs = Vec::new();
    package_dirs(&wit_dir(), &mut dirs);
    let mut problems = Vec::new();
    for dir in &dirs {
        let files = wit_files(dir);
        let package = package_of(&files);
        let shown = dir.strip_prefix(wit_dir()).unwrap().display();
        // `wit/host@0.1.0` holds `latchkey:host@0.1.0`, so a path says which version it is.
        let named = dir.file_name().unwrap().to_string_lossy();
        if package.strip_prefix("latchkey:") != Some(&*named) {
            problems.push(format!(
                "wit/{shown} declares `{package}`: name the directory after the package it holds"
            ));
        }
        let Some((_, released)) = RELEASED.iter().find(|(p, _)| *p == package) else {
            continue;
        };
        let actual = digest(&files);
        if actual != *released {
            problems.push(format!(
                "wit/{shown}: `{package}` is released and its text changed (sha256 {actual}, released as {released}). Components built against it expect it as it was: restore the released text, and make the change in a new version of the package (a new directory, e.g. wit/{}@<next version>/, that the host loads beside this one)",
                named.split('@').next().unwrap_or(&named)
            ));
        }
    }
    for (package, _) in RELEASED {
        let dir = wit_dir().join(package.trim_start_matches("latchkey:"));
        if !dir.is_dir() {
            problems.push(format!(
                "`{package}` is released but wit/{} is gone: released packages stay",
                package.trim_start_matches("latchkey:")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A symlinked dependency would make a frozen package follow another one's changes.
#[test]
fn wit_holds_real_files_only() {
    fn walk(dir: &Path, links: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                links.push(path);
            } else if meta.is_dir() {
                walk(&path, links);
            }
        }
    }
    let mut links = Vec::new();
    walk(&wit_dir(), &mut links);
    assert!(
        links.is_empty(),
        "symbolic links under wit/: {links:?}; copy the package instead"
    );
}

/// The SDK crate carries its own copy of the package it builds against
/// (`plugins/sdk/wit/<package>/`), so that it builds outside this repository. The copy must be
/// the released text, file for file.
#[test]
fn the_sdk_carries_the_released_wit_unchanged() {
    fn files_under(dir: &Path, root: &Path, found: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files_under(&path, root, found);
            } else {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let sdk_wit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk/wit");
    let mut copied = Vec::new();
    files_under(&sdk_wit, &sdk_wit, &mut copied);
    copied.sort();
    let packages: Vec<_> = copied
        .iter()
        .filter_map(|f| f.components().next())
        .map(|c| c.as_os_str().to_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert!(!packages.is_empty(), "plugins/sdk/wit holds no package");
    let mut released = Vec::new();
    for package in &packages {
        files_under(&wit_dir().join(package), &wit_dir(), &mut released);
    }
    released.sort();
    assert_eq!(
        copied, released,
        "plugins/sdk/wit must hold the same files as the packages of wit/ it copies"
    );
    for file in &copied {
        assert!(
            std::fs::read(sdk_wit.join(file)).unwrap()
                == std::fs::read(wit_dir().join(file)).unwrap(),
            "plugins/sdk/wit/{} differs from wit/{}: copy the released text again (`cp -r wit/<package> plugins/sdk/wit/`)",
            file.display(),
            file.display()
        );
    }
}
