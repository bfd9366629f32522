//! The health mapping (SPEC LC-HEALTH-2, LC-HEALTH-3, LC-HEALTH-4).

use crate::error::{GuestFailure, TrapCode};
use crate::state::State;
use serde::{Deserialize, Serialize};
use std::fmt;

identifiers! {
    /// What a health check found.
    HealthStatus {
        Healthy => "healthy",
        Degraded => "degraded",
        Unhealthy => "unhealthy",
    }
}

/// Why a component is not healthy. Every non-healthy result carries one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum HealthReason {
    /// `_health` returned 1 (degraded) or 2 (unhealthy).
    GuestReported,
    /// `_health` returned a code outside 0..=2.
    UnknownHealthCode {
        code: i32,
    },
    Trapped {
        trap: TrapCode,
    },
    FuelExhausted,
    ExecutionTimeout,
    /// The component is not `ready`, so `_health` was not called.
    NotReady {
        state: State,
    },
}

/// The result of a health check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    #[serde(rename = "health")]
    pub status: HealthStatus,
    #[serde(flatten, default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<HealthReason>,
}

impl Health {
    pub const HEALTHY: Health = Health {
        status: HealthStatus::Healthy,
        reason: None,
    };

    fn new(status: HealthStatus, reason: HealthReason) -> Health {
        Health {
            status,
            reason: Some(reason),
        }
    }

    /// The health of a component that is not `ready`: nothing is called.
    pub fn for_state(state: State) -> Health {
        let status = match state {
            State::Ready => return Health::HEALTHY,
            State::Creating | State::Starting | State::Stopping => HealthStatus::Degraded,
            State::Failed | State::Terminated => HealthStatus::Unhealthy,
        };
        Health::new(status, HealthReason::NotReady { state })
    }

    /// What `_health` returning `code` means.
    pub fn from_code(code: i32) -> Health {
        match code {
            0 => Health::HEALTHY,
            1 => Health::new(HealthStatus::Degraded, HealthReason::GuestReported),
            2 => Health::new(HealthStatus::Unhealthy, HealthReason::GuestReported),
            code => Health::new(
                HealthStatus::Unhealthy,
                HealthReason::UnknownHealthCode { code },
            ),
        }
    }

    /// A `_health` call that trapped, ran out of fuel or timed out.
    pub fn from_failure(failure: GuestFailure) -> Health {
        let reason = match failure {
            GuestFailure::Trapped(trap) => HealthReason::Trapped { trap },
            GuestFailure::FuelExhausted => HealthReason::FuelExhausted,
            GuestFailure::Timeout => HealthReason::ExecutionTimeout,
        };
        Health::new(HealthStatus::Unhealthy, reason)
    }
}

impl fmt::Display for Health {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.status.as_str())?;
        match self.reason {
            None => Ok(()),
            Some(HealthReason::GuestReported) => f.write_str(" (reported by _health)"),
            Some(HealthReason::UnknownHealthCode { code }) => {
                write!(f, " (unknown_health_code {code})")
            }
            Some(HealthReason::Trapped { trap }) => write!(f, " (trapped: {trap})"),
            Some(HealthReason::FuelExhausted) => f.write_str(" (fuel_exhausted)"),
            Some(HealthReason::ExecutionTimeout) => f.write_str(" (execution_timeout)"),
            Some(HealthReason::NotReady { state }) => write!(f, " (state {state})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn codes_map_as_the_contract_says() {
        assert_eq!(Health::from_code(0), Health::HEALTHY);
        assert_eq!(Health::from_code(1).status, HealthStatus::Degraded);
        assert_eq!(Health::from_code(2).status, HealthStatus::Unhealthy);
        for code in [3, -1, i32::MIN, i32::MAX] {
            assert_eq!(
                Health::from_code(code),
                Health::new(
                    HealthStatus::Unhealthy,
                    HealthReason::UnknownHealthCode { code }
                )
            );
        }
    }

    #[test]
    fn states_other_than_ready_map_without_a_call() {
        use State::*;
        for (state, status) in [
            (Creating, HealthStatus::Degraded),
            (Starting, HealthStatus::Degraded),
            (Stopping, HealthStatus::Degraded),
            (Failed, HealthStatus::Unhealthy),
            (Terminated, HealthStatus::Unhealthy),
        ] {
            assert_eq!(Health::for_state(state).status, status, "{state}");
        }
    }

    #[test]
    fn serializes_flat() {
        assert_eq!(
            serde_json::to_value(Health::from_failure(GuestFailure::Trapped(
                TrapCode::Unreachable
            )))
            .unwrap(),
            json!({"health": "unhealthy", "reason": "trapped", "trap": "unreachable"})
        );
        assert_eq!(
            serde_json::to_value(Health::HEALTHY).unwrap(),
            json!({"health": "healthy"})
        );
    }
}
