//! The kit's WIT package (`conformance/wit/`), the component ABI's interface: it parses,
//! its world exports the lifecycle and imports nothing (LC-LINK-1: no host functions in
//! v1), the lifecycle has the four functions that stand for the core ABI's exports, and
//! its health statuses are the contract's plus `unknown`.

use lifecycle_contract::HealthStatus;
use std::path::Path;
use wit_parser::{Resolve, TypeDefKind, WorldItem};

fn package() -> (Resolve, wit_parser::PackageId) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("wit");
    let mut resolve = Resolve::new();
    let (package, _) = resolve.push_dir(&dir).expect("conformance/wit parses");
    (resolve, package)
}

#[test]
fn the_actor_world_exports_the_lifecycle_and_imports_nothing() {
    let (resolve, package) = package();
    assert_eq!(
        resolve.packages[package].name.to_string(),
        "lifecycle-kit:actor@0.1.0"
    );
    let world = resolve.select_world(&[package], Some("actor")).unwrap();
    let world = &resolve.worlds[world];
    assert!(world.imports.is_empty(), "{:?}", world.imports.keys());
    let exports: Vec<String> = world
        .exports
        .keys()
        .map(|key| resolve.name_world_key(key))
        .collect();
    assert_eq!(exports, ["lifecycle-kit:actor/lifecycle@0.1.0"]);
    let Some(WorldItem::Interface { id, .. }) = world.exports.values().next() else {
        panic!("the export is an interface");
    };
    let functions: Vec<&str> = resolve.interfaces[*id]
        .functions
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        functions,
        ["initialize", "handle-message", "health", "shutdown"]
    );
}

#[test]
fn its_health_statuses_are_the_contracts_and_unknown() {
    let (resolve, package) = package();
    let interface = resolve.packages[package].interfaces["lifecycle"];
    let status = resolve.interfaces[interface].types["health-status"];
    let TypeDefKind::Enum(status) = &resolve.types[status].kind else {
        panic!("health-status is an enum");
    };
    let cases: Vec<&str> = status.cases.iter().map(|c| c.name.as_str()).collect();
    let mut contract: Vec<&str> = HealthStatus::ALL.iter().map(|s| s.as_str()).collect();
    contract.push("unknown");
    assert_eq!(cases, contract);
}
