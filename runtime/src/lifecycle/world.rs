//! What the host checks of a component's world before an engine runs it (SPEC.md §8,
//! LC-CM-2): that it exports the kit's `lifecycle` interface, at the kit's version, with
//! every function of the kit's WIT and of its type. Read from the component's own type
//! information with `wit-parser`, never through an engine, as the core checks are.

use lifecycle_contract::Error;
use lifecycle_contract::abi::{LIFECYCLE_INTERFACE, WIT};
use lifecycle_contract::error::ExportReason;
use wit_parser::decoding::{DecodedWasm, decode};
use wit_parser::{Function, Resolve, Type, TypeDefKind, WorldItem, WorldKey};

/// LC-CM-2 for a validated component's bytes.
pub fn check_exports(bytes: &[u8]) -> Result<(), Error> {
    let missing = || Error::bad_export(LIFECYCLE_INTERFACE, ExportReason::Missing);
    let Ok(DecodedWasm::Component(theirs, world)) = decode(bytes) else {
        return Err(missing().with_detail("the component's type information does not decode"));
    };
    let exported = theirs.worlds[world].exports.iter().find_map(|(key, item)| {
        let id = match (key, item) {
            (WorldKey::Interface(id), WorldItem::Interface { .. }) => *id,
            _ => return None,
        };
        (theirs.id_of(id).as_deref() == Some(LIFECYCLE_INTERFACE)).then_some(id)
    });
    let Some(exported) = exported else {
        return Err(missing());
    };
    let (ours, interface) = kit();
    for (name, wanted) in &ours.interfaces[interface].functions {
        let Some(found) = theirs.interfaces[exported].functions.get(name) else {
            return Err(Error::bad_export(name, ExportReason::Missing));
        };
        if signature(&ours, wanted) != signature(&theirs, found) {
            let detail = format!(
                "expected {}, found {}",
                signature(&ours, wanted),
                signature(&theirs, found)
            );
            return Err(Error::bad_export(name, ExportReason::WrongSignature).with_detail(detail));
        }
    }
    Ok(())
}

/// The kit's WIT, resolved, and its `lifecycle` interface.
fn kit() -> (Resolve, wit_parser::InterfaceId) {
    let mut resolve = Resolve::default();
    // The kit's own WIT, parsed by its tests: it always resolves.
    let package = resolve
        .push_str("lifecycle.wit", WIT)
        .expect("the kit's WIT resolves");
    let interface = resolve.packages[package].interfaces["lifecycle"];
    (resolve, interface)
}

/// A function's type, written out structurally (names of parameters, fields and cases
/// included, as the Component Model's type check compares them).
fn signature(resolve: &Resolve, function: &Function) -> String {
    let params: Vec<String> = function
        .params
        .iter()
        .map(|p| format!("{}: {}", p.name, shape(resolve, &p.ty)))
        .collect();
    let result = function.result.as_ref().map(|t| shape(resolve, t));
    format!(
        "func({}) -> {}",
        params.join(", "),
        result.unwrap_or_default()
    )
}

fn shape(resolve: &Resolve, ty: &Type) -> String {
    let id = match ty {
        Type::Id(id) => *id,
        primitive => return format!("{primitive:?}").to_lowercase(),
    };
    let of = |t: &Type| shape(resolve, t);
    let maybe = |t: &Option<Type>| t.as_ref().map_or("_".to_string(), of);
    let list = |items: Vec<String>| items.join(", ");
    match &resolve.types[id].kind {
        TypeDefKind::Type(t) => of(t),
        TypeDefKind::List(t) => format!("list<{}>", of(t)),
        TypeDefKind::Option(t) => format!("option<{}>", of(t)),
        TypeDefKind::Result(r) => format!("result<{}, {}>", maybe(&r.ok), maybe(&r.err)),
        TypeDefKind::Tuple(t) => format!("tuple<{}>", list(t.types.iter().map(of).collect())),
        TypeDefKind::Record(r) => format!(
            "record {{{}}}",
            list(
                r.fields
                    .iter()
                    .map(|f| format!("{}: {}", f.name, of(&f.ty)))
                    .collect()
            )
        ),
        TypeDefKind::Variant(v) => format!(
            "variant {{{}}}",
            list(
                v.cases
                    .iter()
                    .map(|c| format!("{}({})", c.name, maybe(&c.ty)))
                    .collect()
            )
        ),
        TypeDefKind::Enum(e) => format!(
            "enum {{{}}}",
            list(e.cases.iter().map(|c| c.name.clone()).collect())
        ),
        other => format!("{}#{}", other.as_str(), id.index()),
    }
}
