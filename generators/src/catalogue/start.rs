//! SPEC.md §2: features, exports, link, instantiation and `_start`.

use super::{SPIN_FUEL, SPIN_TIMEOUT, clause};
use crate::scenario::Scenario;
use crate::spec::{Behaviour, Entry, Export, Feature, ImportKind, MemoryExport, ModuleSpec, Trap};
use lifecycle_contract::Profile;

fn features() -> Vec<Scenario> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for feature in Feature::ALL {
            let inside = profile.features().contains(feature.flag());
            out.push(
                Scenario::new(
                    format!("feature-{}-in-{profile}", feature.as_str()),
                    clause::FEATURES,
                    format!(
                        "a module using {} under the {profile} profile: {}",
                        feature.as_str(),
                        if inside {
                            "starts"
                        } else {
                            "unsupported_feature"
                        }
                    ),
                    ModuleSpec::new().feature(feature).start(Behaviour::Return),
                )
                .profile(profile),
            );
        }
    }
    out
}

fn exports() -> Vec<Scenario> {
    let c = clause::EXPORTS;
    let mut out = Vec::new();
    for slot in Entry::ALL {
        let name = slot.as_str();
        let kebab = name.trim_start_matches('_');
        // A full actor but for this slot, so only this export can be the problem.
        let actor = || {
            ModuleSpec::actor(Behaviour::Echo)
                .start(Behaviour::Return)
                .cleanup(Behaviour::Return)
                .health(Behaviour::Return)
        };
        out.push(Scenario::new(
            format!("{kebab}-wrong-kind"),
            c,
            format!("`{name}` is exported as a global"),
            actor().export(slot, Export::WrongKind),
        ));
        out.push(Scenario::new(
            format!("{kebab}-wrong-signature"),
            c,
            format!("`{name}` has type [f32] -> []"),
            actor().export(slot, Export::WrongSignature),
        ));
    }
    out.extend([
        Scenario::new(
            "memory-wrong-kind",
            c,
            "`memory` is exported as a function",
            ModuleSpec::actor(Behaviour::Echo).memory_export(MemoryExport::WrongKind),
        ),
        Scenario::new(
            "handle-message-without-alloc",
            c,
            "`handle-message` with no `alloc`",
            ModuleSpec::actor(Behaviour::Echo).without(Entry::Alloc),
        ),
        Scenario::new(
            "handle-message-without-memory-export",
            c,
            "`handle-message` with a memory that is not exported",
            ModuleSpec::actor(Behaviour::Echo).memory_export(MemoryExport::Hidden),
        ),
        Scenario::new(
            "handle-message-without-any-memory",
            c,
            "`handle-message` and `alloc` in a module with no memory",
            ModuleSpec::new()
                .alloc(Behaviour::Return)
                .handle_message(Behaviour::Return),
        ),
        Scenario::new(
            "alloc-without-handle-message",
            c,
            "`alloc` and `memory` alone are fine: nothing needs them",
            ModuleSpec::new()
                .memory(1, None)
                .alloc(Behaviour::Return)
                .start(Behaviour::Return),
        ),
        Scenario::new(
            "exports-checked-before-start-section",
            c,
            "a bad `_start` and a trapping start section: the export check comes first",
            ModuleSpec::new()
                .export(Entry::Start, Export::WrongSignature)
                .start_section(Behaviour::Trap(Trap::Unreachable)),
        ),
        Scenario::new(
            "exports-checked-in-order",
            c,
            "`_start` and `alloc` both wrong: `_start` is checked first",
            ModuleSpec::actor(Behaviour::Echo)
                .export(Entry::Start, Export::WrongSignature)
                .export(Entry::Alloc, Export::WrongKind),
        ),
        Scenario::new(
            "no-lifecycle-exports",
            c,
            "an empty module: every export is optional",
            ModuleSpec::new(),
        )
        .send("hi")
        .health(),
    ]);
    out
}

fn link() -> Vec<Scenario> {
    let c = clause::LINK;
    let mut out: Vec<Scenario> = [
        ("func", ImportKind::Func, "env", "log"),
        ("memory", ImportKind::Memory, "env", "memory"),
        ("table", ImportKind::Table, "env", "table"),
        ("global", ImportKind::Global, "wasi", "answer"),
    ]
    .into_iter()
    .map(|(kind, import, module, name)| {
        Scenario::new(
            format!("import-{kind}"),
            c,
            format!("imports a {kind}: the linker offers nothing"),
            ModuleSpec::new()
                .import(module, name, import)
                .start(Behaviour::Return),
        )
        // A second memory or table needs multi-memory or reference types: `standard`
        // keeps tables valid; the memory import has no memory of its own beside it.
        .profile(Profile::Standard)
    })
    .collect();
    out.push(Scenario::new(
        "import-after-bad-export",
        c,
        "an import and a bad export: exports are checked before linking",
        ModuleSpec::new()
            .import("env", "f", ImportKind::Func)
            .export(Entry::Start, Export::WrongSignature),
    ));
    out.push(Scenario::new(
        "first-import-is-reported",
        c,
        "two imports: the first one is named",
        ModuleSpec::new()
            .import("first", "a", ImportKind::Global)
            .import("second", "b", ImportKind::Func),
    ));
    out
}

fn instantiate() -> Vec<Scenario> {
    let c = clause::INSTANTIATE;
    let page = 65_536;
    let mut out = vec![
        Scenario::new(
            "memory-initial-over-limit",
            c,
            "3 pages under a 2-page limit",
            ModuleSpec::new().memory(3, None),
        )
        .limits(|l| l.max_memory_bytes = 2 * page),
        Scenario::new(
            "memory-initial-at-limit",
            c,
            "2 pages under a 2-page limit",
            ModuleSpec::new().memory(2, None).start(Behaviour::Return),
        )
        .limits(|l| l.max_memory_bytes = 2 * page),
        Scenario::new(
            "table-initial-over-limit",
            c,
            "11 elements under a 10-element limit",
            ModuleSpec::new().table(11, None),
        )
        .limits(|l| l.max_table_elements = 10),
        Scenario::new(
            "table-initial-at-limit",
            c,
            "10 elements under a 10-element limit",
            ModuleSpec::new().table(10, None),
        )
        .limits(|l| l.max_table_elements = 10),
        Scenario::new(
            "memory-checked-before-table",
            c,
            "both over their limits: memory is reported",
            ModuleSpec::new().memory(3, None).table(11, None),
        )
        .limits(|l| {
            l.max_memory_bytes = 2 * page;
            l.max_table_elements = 10;
        }),
        Scenario::new(
            "two-tables",
            c,
            "a second table (valid with reference types): one table at most",
            ModuleSpec::new().table(1, None).extra_tables(1),
        )
        .profile(Profile::Standard),
        Scenario::new(
            "data-segment-out-of-bounds",
            c,
            "4 bytes at 65534 in a 1-page memory",
            ModuleSpec::new().memory(1, None).data(65_534, 4),
        ),
        Scenario::new(
            "data-segment-at-end",
            c,
            "4 bytes at 65532 in a 1-page memory: fits",
            ModuleSpec::new().memory(1, None).data(65_532, 4),
        ),
        Scenario::new(
            "elem-segment-out-of-bounds",
            c,
            "an element at 1 in a 1-element table",
            ModuleSpec::new().table(1, None).elem(1, 1),
        ),
        Scenario::new(
            "elem-segment-at-end",
            c,
            "an element at 0 in a 1-element table: fits",
            ModuleSpec::new().table(1, None).elem(0, 1),
        ),
        Scenario::new(
            "elem-before-data",
            c,
            "both segments out of bounds: elements are initialised first",
            ModuleSpec::new()
                .table(1, None)
                .elem(1, 1)
                .memory(1, None)
                .data(65_534, 4),
        ),
        Scenario::new(
            "start-section-returns",
            c,
            "the wasm start section runs and returns",
            ModuleSpec::new().start_section(Behaviour::Return),
        ),
        Scenario::new(
            "start-section-spins-out-of-fuel",
            c,
            "the start section loops: fuel runs out",
            ModuleSpec::new().start_section(Behaviour::Spin),
        )
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "start-section-spins-past-timeout",
            c,
            "the start section loops with unlimited fuel: the start timeout interrupts it",
            ModuleSpec::new().start_section(Behaviour::Spin),
        )
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.start_timeout = SPIN_TIMEOUT;
        }),
        Scenario::new(
            "start-section-before-start-export",
            c,
            "the start section traps: `_start` never runs",
            ModuleSpec::new()
                .start_section(Behaviour::Trap(Trap::Unreachable))
                .start(Behaviour::Spin),
        ),
    ];
    for trap in Trap::ALL {
        out.push(Scenario::new(
            format!("start-section-traps-{}", trap.name()),
            c,
            format!("the wasm start section traps ({})", trap.code()),
            ModuleSpec::new().start_section(Behaviour::Trap(trap)),
        ));
    }
    out
}

fn start_export() -> Vec<Scenario> {
    let c = clause::START;
    let mut out = vec![
        Scenario::new(
            "start-returns",
            c,
            "`_start` returns",
            ModuleSpec::new().start(Behaviour::Return),
        ),
        Scenario::new(
            "start-spins-out-of-fuel",
            c,
            "`_start` loops: fuel runs out",
            ModuleSpec::new().start(Behaviour::Spin),
        )
        .limits(|l| l.fuel_per_call = SPIN_FUEL),
        Scenario::new(
            "start-spins-past-timeout",
            c,
            "`_start` loops with unlimited fuel: the start timeout interrupts it",
            ModuleSpec::new().start(Behaviour::Spin),
        )
        .limits(|l| {
            l.fuel_per_call = u64::MAX;
            l.start_timeout = SPIN_TIMEOUT;
        }),
        Scenario::new(
            "start-burns-within-fuel",
            c,
            "`_start` does 100k iterations of work under 10M fuel",
            ModuleSpec::new().start(Behaviour::Burn(100_000)),
        )
        .limits(|l| l.fuel_per_call = 10_000_000),
        Scenario::new(
            "start-burns-past-fuel",
            c,
            "`_start` does 10M iterations of work under 1M fuel",
            ModuleSpec::new().start(Behaviour::Burn(10_000_000)),
        )
        .limits(|l| l.fuel_per_call = 1_000_000),
        Scenario::new(
            "start-grows-memory",
            c,
            "`_start` grows memory by a page, then the actor echoes",
            ModuleSpec::actor(Behaviour::Echo).start(Behaviour::GrowMemory(1)),
        )
        .send("after growth"),
    ];
    for trap in Trap::ALL {
        out.push(
            Scenario::new(
                format!("start-traps-{}", trap.name()),
                c,
                format!("`_start` traps ({})", trap.code()),
                ModuleSpec::new()
                    .start(Behaviour::Trap(trap))
                    .cleanup(Behaviour::Trap(Trap::Unreachable)),
            )
            .send("after")
            .health(),
        );
    }
    out
}

pub fn scenarios() -> Vec<Scenario> {
    let mut out = features();
    out.extend(exports());
    out.extend(link());
    out.extend(instantiate());
    out.extend(start_export());
    out
}
