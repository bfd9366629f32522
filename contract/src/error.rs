//! The one error taxonomy (SPEC.md §2, "Errors").
//!
//! Identifiers here (`kind`, `stage`, reasons, trap codes) are stable: they appear in
//! traces, reports and snapshots. Engine messages only ever go in [`Error::detail`],
//! which is for people and is never compared. This module knows nothing of Wasmtime so
//! that any runtime under test can report in the same terms.

use crate::abi::Refusal;
use crate::state::State;
use serde::{Deserialize, Serialize};
use std::fmt;

identifiers! {
    /// Where in the lifecycle an error arose.
    Stage {
        Load => "load",
        Validate => "validate",
        Compile => "compile",
        Exports => "exports",
        Link => "link",
        Instantiate => "instantiate",
        Start => "_start",
        HandleMessage => "handle-message",
        Health => "_health",
        Cleanup => "_cleanup",
    }
}

identifiers! {
    /// The trap codes of SPEC LC-LIMIT-6; every engine trap not listed maps to `Other`.
    TrapCode {
        Unreachable => "unreachable",
        StackOverflow => "stack_overflow",
        MemoryOutOfBounds => "memory_out_of_bounds",
        TableOutOfBounds => "table_out_of_bounds",
        IndirectCallToNull => "indirect_call_to_null",
        BadSignature => "bad_signature",
        IntegerOverflow => "integer_overflow",
        IntegerDivideByZero => "integer_divide_by_zero",
        BadConversionToInteger => "bad_conversion_to_integer",
        /// A component's value the host cannot lift, or a `cabi_realloc` result it cannot
        /// use: the canonical ABI traps (SPEC LC-CM-9). Only components give it.
        InvalidCanonicalValue => "invalid_canonical_value",
        Other => "other",
    }
}

identifiers! {
    /// Why a module failed validation.
    ValidationReason {
        BadMagic => "bad_magic",
        UnsupportedFeature => "unsupported_feature",
        Malformed => "malformed",
    }
}

identifiers! {
    /// Why a lifecycle export is unusable. `not_a_memory` refines the contract, which
    /// names no reason for a `memory` export of another kind (SPEC refinement).
    ExportReason {
        NotAFunction => "not_a_function",
        NotAMemory => "not_a_memory",
        WrongSignature => "wrong_signature",
        Missing => "missing",
    }
}

identifiers! {
    /// Why the host refused a message or its reply (message ABI, SPEC LC-MSG-2, LC-MSG-3, LC-MSG-5).
    RejectReason {
        TooLarge => "too_large",
        AllocOutOfBounds => "alloc_out_of_bounds",
        ReplyOutOfBounds => "reply_out_of_bounds",
        ReplyTooLarge => "reply_too_large",
    }
}

identifiers! {
    /// A limited resource (SPEC LC-INST-1, LC-LIMIT-1, LC-LIMIT-2).
    Resource {
        Memory => "memory",
        Table => "table",
        Instances => "instances",
    }
}

identifiers! {
    /// The stable `kind` of an [`Error`].
    ErrorKind {
        ComponentNotFound => "component_not_found",
        ValidationFailed => "validation_failed",
        LoadFailed => "load_failed",
        BadExport => "bad_export",
        LinkFailed => "link_failed",
        ResourceLimitExceeded => "resource_limit_exceeded",
        Trapped => "trapped",
        FuelExhausted => "fuel_exhausted",
        ExecutionTimeout => "execution_timeout",
        MessageRejected => "message_rejected",
        MessageError => "message_error",
        MissingExport => "missing_export",
        InvalidState => "invalid_state",
        EngineInitialization => "engine_initialization",
        StartRefused => "start_refused",
    }
}

/// How a guest call that did not return normally ended. Errors, health reasons and
/// cleanup warnings are all derived from this one classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestFailure {
    Trapped(TrapCode),
    FuelExhausted,
    Timeout,
}

/// What went wrong, with the fields the contract names for each kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    ComponentNotFound,
    ValidationFailed {
        reason: ValidationReason,
    },
    LoadFailed,
    BadExport {
        export: String,
        reason: ExportReason,
    },
    LinkFailed {
        import: String,
    },
    ResourceLimitExceeded {
        resource: Resource,
    },
    Trapped {
        trap: TrapCode,
    },
    FuelExhausted,
    ExecutionTimeout,
    MessageRejected {
        reason: RejectReason,
    },
    /// The guest's application error: `code` is the negated result of `handle-message`.
    MessageError {
        code: u64,
    },
    MissingExport {
        export: String,
    },
    InvalidState {
        state: State,
    },
    EngineInitialization,
    /// A component's `initialize` returned `err` (SPEC.md §8, LC-CM-2).
    StartRefused {
        reason: Refusal,
    },
}

impl Fault {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Fault::ComponentNotFound => ErrorKind::ComponentNotFound,
            Fault::ValidationFailed { .. } => ErrorKind::ValidationFailed,
            Fault::LoadFailed => ErrorKind::LoadFailed,
            Fault::BadExport { .. } => ErrorKind::BadExport,
            Fault::LinkFailed { .. } => ErrorKind::LinkFailed,
            Fault::ResourceLimitExceeded { .. } => ErrorKind::ResourceLimitExceeded,
            Fault::Trapped { .. } => ErrorKind::Trapped,
            Fault::FuelExhausted => ErrorKind::FuelExhausted,
            Fault::ExecutionTimeout => ErrorKind::ExecutionTimeout,
            Fault::MessageRejected { .. } => ErrorKind::MessageRejected,
            Fault::MessageError { .. } => ErrorKind::MessageError,
            Fault::MissingExport { .. } => ErrorKind::MissingExport,
            Fault::InvalidState { .. } => ErrorKind::InvalidState,
            Fault::EngineInitialization => ErrorKind::EngineInitialization,
            Fault::StartRefused { .. } => ErrorKind::StartRefused,
        }
    }
}

impl From<GuestFailure> for Fault {
    fn from(failure: GuestFailure) -> Self {
        match failure {
            GuestFailure::Trapped(trap) => Fault::Trapped { trap },
            GuestFailure::FuelExhausted => Fault::FuelExhausted,
            GuestFailure::Timeout => Fault::ExecutionTimeout,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kind().as_str())?;
        match self {
            Fault::ValidationFailed { reason } => write!(f, " ({reason})"),
            Fault::BadExport { export, reason } => write!(f, " (`{export}`: {reason})"),
            Fault::LinkFailed { import } => write!(f, " (import `{import}`)"),
            Fault::ResourceLimitExceeded { resource } => write!(f, " ({resource})"),
            Fault::Trapped { trap } => write!(f, " ({trap})"),
            Fault::MessageRejected { reason } => write!(f, " ({reason})"),
            Fault::MessageError { code } => write!(f, " (code {code})"),
            Fault::MissingExport { export } => write!(f, " (`{export}`)"),
            Fault::InvalidState { state } => write!(f, " (in state {state})"),
            Fault::StartRefused { reason } => write!(f, " ({reason})"),
            Fault::ComponentNotFound
            | Fault::LoadFailed
            | Fault::FuelExhausted
            | Fault::ExecutionTimeout
            | Fault::EngineInitialization => Ok(()),
        }
    }
}

/// A lifecycle error: its [`Fault`] (kind and fields), the [`Stage`] it arose in, and
/// an optional human-readable detail that is never compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{fault} at stage {stage}{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
pub struct Error {
    #[serde(flatten)]
    pub fault: Fault,
    pub stage: Stage,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Error {
    pub fn new(stage: Stage, fault: Fault) -> Self {
        Error {
            fault,
            stage,
            detail: None,
        }
    }

    /// A `bad_export` of `export` (a core export's name, or a component's interface or
    /// function), found at the exports step (LC-EXPORT-1, LC-EXPORT-2, LC-CM-2).
    pub fn bad_export(export: &str, reason: ExportReason) -> Self {
        let export = export.to_string();
        Error::new(Stage::Exports, Fault::BadExport { export, reason })
    }

    pub fn with_detail(mut self, detail: impl fmt::Display) -> Self {
        self.detail = Some(detail.to_string());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.fault.kind()
    }
}

/// A problem during stop that does not make stop fail (SPEC LC-STOP-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    CleanupTrapped {
        trap: TrapCode,
    },
    CleanupTimeout,
    CleanupFuelExhausted,
    /// A component's `shutdown` returned `err` (SPEC.md §8).
    CleanupRefused {
        reason: Refusal,
    },
}

impl Warning {
    pub fn kind(&self) -> &'static str {
        match self {
            Warning::CleanupTrapped { .. } => "cleanup_trapped",
            Warning::CleanupTimeout => "cleanup_timeout",
            Warning::CleanupFuelExhausted => "cleanup_fuel_exhausted",
            Warning::CleanupRefused { .. } => "cleanup_refused",
        }
    }
}

impl From<GuestFailure> for Warning {
    fn from(failure: GuestFailure) -> Self {
        match failure {
            GuestFailure::Trapped(trap) => Warning::CleanupTrapped { trap },
            GuestFailure::FuelExhausted => Warning::CleanupFuelExhausted,
            GuestFailure::Timeout => Warning::CleanupTimeout,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::CleanupTrapped { trap } => write!(f, "{} ({trap})", self.kind()),
            Warning::CleanupRefused { reason } => write!(f, "{} ({reason})", self.kind()),
            _ => f.write_str(self.kind()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn warnings_display_their_kind_and_trap() {
        let trapped = Warning::CleanupTrapped {
            trap: TrapCode::Unreachable,
        };
        assert_eq!(trapped.to_string(), "cleanup_trapped (unreachable)");
        assert_eq!(Warning::CleanupTimeout.to_string(), "cleanup_timeout");
        let refused = Warning::CleanupRefused {
            reason: Refusal::ConfigurationInvalid,
        };
        assert_eq!(
            refused.to_string(),
            "cleanup_refused (configuration-invalid)"
        );
        assert_eq!(
            serde_json::to_value(refused).unwrap(),
            json!({"kind": "cleanup_refused", "reason": "configuration-invalid"})
        );
        assert_eq!(
            Warning::CleanupFuelExhausted.to_string(),
            "cleanup_fuel_exhausted"
        );
    }

    #[test]
    fn errors_serialize_as_kind_stage_and_fields() {
        let err = Error::new(
            Stage::Exports,
            Fault::BadExport {
                export: "alloc".into(),
                reason: ExportReason::Missing,
            },
        )
        .with_detail("engine words");
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            json!({"kind": "bad_export", "stage": "exports", "export": "alloc",
                   "reason": "missing", "detail": "engine words"})
        );
        assert_eq!(err.kind(), ErrorKind::BadExport);
    }

    #[test]
    fn every_kind_serializes_to_its_identifier() {
        let faults = [
            Fault::ComponentNotFound,
            Fault::ValidationFailed {
                reason: ValidationReason::Malformed,
            },
            Fault::LoadFailed,
            Fault::BadExport {
                export: "x".into(),
                reason: ExportReason::NotAFunction,
            },
            Fault::LinkFailed {
                import: "a::b".into(),
            },
            Fault::ResourceLimitExceeded {
                resource: Resource::Table,
            },
            Fault::Trapped {
                trap: TrapCode::Unreachable,
            },
            Fault::FuelExhausted,
            Fault::ExecutionTimeout,
            Fault::MessageRejected {
                reason: RejectReason::TooLarge,
            },
            Fault::MessageError { code: 7 },
            Fault::MissingExport {
                export: "handle-message".into(),
            },
            Fault::InvalidState {
                state: State::Terminated,
            },
            Fault::EngineInitialization,
            Fault::StartRefused {
                reason: Refusal::InternalError,
            },
        ];
        assert_eq!(faults.len(), ErrorKind::ALL.len());
        for (fault, kind) in faults.iter().zip(ErrorKind::ALL) {
            assert_eq!(fault.kind(), kind);
            let value = serde_json::to_value(fault).unwrap();
            assert_eq!(value["kind"], kind.as_str());
        }
    }

    #[test]
    fn guest_failures_map_to_errors_and_warnings() {
        let trap = GuestFailure::Trapped(TrapCode::StackOverflow);
        assert_eq!(
            Fault::from(trap),
            Fault::Trapped {
                trap: TrapCode::StackOverflow
            }
        );
        assert_eq!(
            Fault::from(GuestFailure::Timeout).kind(),
            ErrorKind::ExecutionTimeout
        );
        assert_eq!(Warning::from(trap).kind(), "cleanup_trapped");
        assert_eq!(
            Warning::from(GuestFailure::Timeout).kind(),
            "cleanup_timeout"
        );
        assert_eq!(
            Warning::from(GuestFailure::FuelExhausted).kind(),
            "cleanup_fuel_exhausted"
        );
    }
}
