//! SPEC LC-START-2, LC-START-4: bytes that are not a valid module, each way they can be wrong.

use super::clause;
use crate::scenario::Scenario;
use crate::spec::{Behaviour, ModuleSpec};
use lifecycle_contract::error::ValidationReason;
use lifecycle_contract::{Error, Fault, Stage};

fn invalid(reason: ValidationReason) -> Error {
    Error::new(Stage::Validate, Fault::ValidationFailed { reason })
}

/// A module with every kind of section, to cut and corrupt.
pub fn base_module() -> Vec<u8> {
    let spec = ModuleSpec::actor(Behaviour::Echo)
        .start(Behaviour::Return)
        .cleanup(Behaviour::Return)
        .health(Behaviour::Return)
        .start_section(Behaviour::Return)
        .table(2, None)
        .elem(0, 1)
        .data(0, 4);
    crate::encode::encode(&spec)
}

/// A section of a binary: its id and the byte ranges of its header and content.
pub struct Section {
    pub id: u8,
    pub start: usize,
    pub content: std::ops::Range<usize>,
}

pub fn section_name(id: u8) -> &'static str {
    match id {
        0 => "custom",
        1 => "type",
        2 => "import",
        3 => "function",
        4 => "table",
        5 => "memory",
        6 => "global",
        7 => "export",
        8 => "start",
        9 => "element",
        10 => "code",
        11 => "data",
        12 => "data-count",
        13 => "tag",
        _ => "unknown",
    }
}

/// The sections of a well-formed binary.
pub fn sections(bytes: &[u8]) -> Vec<Section> {
    let mut out = Vec::new();
    let mut at = 8;
    while at < bytes.len() {
        let start = at;
        let id = bytes[at];
        at += 1;
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let b = bytes[at];
            at += 1;
            size |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        out.push(Section {
            id,
            start,
            content: at..at + size,
        });
        at += size;
    }
    out
}

pub fn scenarios() -> Vec<Scenario> {
    let c = clause::VALIDATE;
    let bad_magic = || invalid(ValidationReason::BadMagic);
    let malformed = || invalid(ValidationReason::Malformed);
    let mut out = vec![
        Scenario::unstartable("empty-binary", c, "zero bytes", Vec::new(), bad_magic()),
        Scenario::unstartable(
            "bad-magic",
            c,
            "the magic number is wrong",
            b"\0wasm\x01\0\0\0".to_vec(),
            bad_magic(),
        ),
        Scenario::unstartable(
            "bad-version",
            c,
            "version 2 of the binary format",
            b"\0asm\x02\0\0\0".to_vec(),
            bad_magic(),
        ),
        Scenario::unstartable(
            "component-binary",
            c,
            "a component-model binary, not a core module",
            b"\0asm\x0d\0\x01\0".to_vec(),
            bad_magic(),
        ),
        Scenario::unstartable(
            "text-not-binary",
            c,
            "WAT text in a binary's place: never parsed as text",
            b"(module)".to_vec(),
            bad_magic(),
        ),
        Scenario::unstartable(
            "header-only-truncated",
            c,
            "the header cut short",
            b"\0asm\x01\0".to_vec(),
            bad_magic(),
        ),
        Scenario::unstartable(
            "unknown-section-id",
            c,
            "a section with id 0x7f",
            b"\0asm\x01\0\0\0\x7f\x00".to_vec(),
            malformed(),
        ),
        Scenario::unstartable(
            "overlong-leb128",
            c,
            "a section size in six LEB128 bytes",
            b"\0asm\x01\0\0\0\x01\x80\x80\x80\x80\x80\x00".to_vec(),
            malformed(),
        ),
        Scenario::new(
            "invalid-function-body",
            c,
            "a function returning i64 where its type says i32",
            ModuleSpec::new().invalid_body(),
        ),
    ];
    let base = base_module();
    let all = sections(&base);
    let code_end = all
        .iter()
        .find(|s| s.id == 10)
        .map(|s| s.content.end)
        .expect("a code section");
    let function_end = all
        .iter()
        .find(|s| s.id == 3)
        .map(|s| s.content.end)
        .expect("a function section");
    for s in &all {
        let name = section_name(s.id);
        let middle = s.content.start + (s.content.len() / 2).max(1);
        out.push(Scenario::unstartable(
            format!("truncated-inside-{name}-section"),
            c,
            format!("the binary ends in the middle of its {name} section"),
            base[..middle.min(s.content.end - 1).max(s.content.start)].to_vec(),
            malformed(),
        ));
        // Cut exactly at this boundary: malformed while functions are declared but their
        // code is missing (earlier boundaries can still leave a valid module).
        if s.content.end >= function_end && s.content.end < code_end {
            out.push(Scenario::unstartable(
                format!("truncated-after-{name}-section"),
                c,
                format!("the binary ends right after its {name} section, before the code"),
                base[..s.content.end].to_vec(),
                malformed(),
            ));
        }
        let mut flipped = base.clone();
        flipped[s.content.start] ^= 0x7f;
        out.push(Scenario::unstartable(
            format!("flipped-byte-in-{name}-section"),
            c,
            format!("the first content byte of the {name} section (its count or index) XOR 0x7f"),
            flipped,
            malformed(),
        ));
    }
    out
}
