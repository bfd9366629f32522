//! SPEC.md §8: what only components have. The behaviours both ABIs share are the other
//! files' scenarios, run as components by `run --abi component`; these are the clauses
//! of the component ABI itself: its header, the world's type check, its imports, the
//! results of `initialize`, `handle-message`, `health` and `shutdown`.

use super::clause;
use crate::encode::encode;
use crate::scenario::Scenario;
use crate::spec::{Behaviour, ModuleSpec};
use lifecycle_contract::abi::{LIFECYCLE_INTERFACE, Refusal, WIT};
use lifecycle_contract::error::{ExportReason, ValidationReason};
use lifecycle_contract::{Error, Fault, Stage};

/// A full actor: `_start`, echo, `_health` and `_cleanup`, each returning.
fn actor() -> ModuleSpec {
    ModuleSpec::actor(Behaviour::Echo)
        .start(Behaviour::Return)
        .health(Behaviour::Return)
        .cleanup(Behaviour::Return)
}

/// A component of `wit` (the kit's WIT, edited) made of a hand-written core module
/// whose exports are `interface`'s `functions` (each returning `ok`, `healthy` or no
/// reply), and importing `imports` (`(module name)` pairs of `[i32 i32] -> []`).
fn component_of(
    wit: &str,
    interface: &str,
    functions: &[&str],
    imports: &[(&str, &str)],
) -> Vec<u8> {
    // Results read from zeroed memory at 1000: `ok`, `ok(none)`; `health` returns 0.
    let exports: String = functions
        .iter()
        .map(|f| match *f {
            "health" => format!(r#"(func (export "{interface}#health") (result i32) i32.const 0)"#),
            "shutdown" => {
                format!(r#"(func (export "{interface}#shutdown") (result i32) i32.const 1000)"#)
            }
            f => format!(
                r#"(func (export "{interface}#{f}") (param i32 i32) (result i32) i32.const 1000)"#
            ),
        })
        .collect();
    let imports: String = imports
        .iter()
        .map(|(module, name)| format!(r#"(import "{module}" "{name}" (func (param i32 i32)))"#))
        .collect();
    let text = format!(
        r#"(module {imports}
             (memory (export "memory") 1)
             (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 1024)
             {exports})"#
    );
    let module = wat::parse_str(&text).expect("the catalogue's own text");
    crate::canonical::wrap_with(module, wit).expect("the catalogue's own component")
}

fn bad_export(export: &str, reason: ExportReason) -> Error {
    let export = export.into();
    Error::new(Stage::Exports, Fault::BadExport { export, reason })
}

const ALL: [&str; 4] = ["initialize", "handle-message", "health", "shutdown"];

fn world_checks() -> Vec<Scenario> {
    let c = clause::COMPONENTS;
    let other_version = WIT.replace("lifecycle-kit:actor@0.1.0", "lifecycle-kit:actor@0.2.0");
    let no_health = WIT.replace("    health: func() -> health-status;", "");
    let health_u32 = WIT.replace(
        "    health: func() -> health-status;",
        "    health: func() -> u32;",
    );
    let importing = WIT.replace(
        "world actor {",
        "interface host {\n    log: func(message: string);\n}\n\nworld actor {\n    import host;",
    );
    let host = "lifecycle-kit:actor/host@0.1.0";
    let unstartable = |name: &str, description: &str, bytes: Vec<u8>, error: Error| {
        Scenario::unstartable(name, c, description, bytes, error).component()
    };
    vec![
        unstartable(
            "component-exports-another-version",
            "the lifecycle interface at version 0.2.0, which the host does not know: bad_export, missing",
            component_of(
                &other_version,
                "lifecycle-kit:actor/lifecycle@0.2.0",
                &ALL,
                &[],
            ),
            bad_export(LIFECYCLE_INTERFACE, ExportReason::Missing),
        ),
        unstartable(
            "component-lacks-health",
            "a component whose lifecycle interface has no `health`: bad_export, missing",
            component_of(
                &no_health,
                LIFECYCLE_INTERFACE,
                &["initialize", "handle-message", "shutdown"],
                &[],
            ),
            bad_export("health", ExportReason::Missing),
        ),
        unstartable(
            "component-health-mistyped",
            "`health` returns a u32, not a health-status: bad_export, wrong_signature",
            component_of(&health_u32, LIFECYCLE_INTERFACE, &ALL, &[]),
            bad_export("health", ExportReason::WrongSignature),
        ),
        unstartable(
            "component-imports-the-host",
            "a component importing an interface v1 does not offer: link_failed, naming it",
            component_of(&importing, LIFECYCLE_INTERFACE, &ALL, &[(host, "log")]),
            Error::new(
                Stage::Link,
                Fault::LinkFailed {
                    import: host.into(),
                },
            ),
        ),
    ]
}

fn headers() -> Vec<Scenario> {
    let c = clause::COMPONENTS;
    let bad_magic = || {
        Error::new(
            Stage::Validate,
            Fault::ValidationFailed {
                reason: ValidationReason::BadMagic,
            },
        )
    };
    let component = crate::canonical::component(&actor()).expect("an actor has a component form");
    vec![
        Scenario::unstartable(
            "component-abi-refuses-a-core-module",
            c,
            "a core module where a component is expected: validation_failed, bad_magic",
            encode(&actor()),
            bad_magic(),
        )
        .component(),
        Scenario::unstartable(
            "core-abi-refuses-a-component",
            c,
            "a component where a core module is expected: validation_failed, bad_magic",
            component,
            bad_magic(),
        ),
    ]
}

fn results() -> Vec<Scenario> {
    let c = clause::COMPONENTS;
    let mut out = Vec::new();
    for (n, refusal) in (1..).zip(Refusal::ALL) {
        out.push(
            Scenario::new(
                format!("component-initialize-refuses-{refusal}"),
                c,
                format!("`initialize` returns err({refusal}): start_refused, the component failed"),
                actor().start(Behaviour::Value(n)),
            )
            .component()
            .send("never delivered"),
        );
    }
    out.push(
        Scenario::new(
            "component-shutdown-refuses",
            c,
            "`shutdown` returns err(internal-error): a cleanup_refused warning, terminated",
            actor().cleanup(Behaviour::Value(4)),
        )
        .component(),
    );
    out.push(
        Scenario::new(
            "component-application-error-stays-ready",
            c,
            "`handle-message` returns err(application-error 42), then echoes: message_error 42, still ready",
            actor().handle_message(Behaviour::OnCall {
                nth: 1,
                then: Box::new(Behaviour::app_error(42)),
                otherwise: Box::new(Behaviour::Echo),
            }),
        )
        .component()
        .send("first")
        .send("second")
        .health(),
    );
    out.push(
        Scenario::new(
            "component-health-unknown",
            c,
            "`health` returns unknown: unhealthy, unknown_health_code 3",
            actor().health(Behaviour::Value(3)),
        )
        .component()
        .health(),
    );
    out
}

pub(super) fn scenarios() -> Vec<Scenario> {
    let mut all = headers();
    all.extend(world_checks());
    all.extend(results());
    all
}
