//! The message ABI (CONTRACT §3): size check, `alloc`, bounds check, copy,
//! `handle-message`, and decoding its result.

use super::guest::Guest;
use super::{Component, Ongoing, record_call};
use crate::error::{Error, Fault, RejectReason, Stage};
use crate::events::Event;
use crate::limits::Limits;
use crate::runtime::defects::Defect;
use crate::runtime::exports::HANDLE_MESSAGE;
use crate::state::State;
use lifecycle_contract::Entry;
use lifecycle_contract::message::{Decoded, decode, in_bounds};

/// Why a message failed: fatal errors fail the component, the others leave it `ready`.
enum Failure {
    Fatal(Error),
    Refused(Error),
}

fn refused(fault: Fault) -> Failure {
    Failure::Refused(Error::new(Stage::HandleMessage, fault))
}

fn rejected(reason: RejectReason) -> Failure {
    refused(Fault::MessageRejected { reason })
}

impl Component {
    /// Delivers one message and returns the reply (empty for none). Allowed only in
    /// `ready`. A trap, fuel exhaustion or timeout in `alloc` or `handle-message` fails
    /// the component; every other error leaves it `ready`.
    pub async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        if self.state == State::Terminated && self.has(Defect::MessageAfterStopAccepted) {
            return Ok(Vec::new());
        }
        if self.state != State::Ready {
            return Err(self.invalid_state(Stage::HandleMessage));
        }
        let mut op = Ongoing::new(self, "handle_message");
        let this = &mut *op;
        let guest = this.guest.as_mut().expect("a ready component has a guest");
        let defect = this.runtime.defect;
        let result = deliver(
            guest,
            &this.config.limits,
            &mut this.events,
            message,
            defect,
        )
        .await;
        let this = op.finish();
        match result {
            Ok(reply) => Ok(reply),
            Err(Failure::Refused(error))
                if defect == Some(Defect::AppErrorFatal)
                    && matches!(error.fault, Fault::MessageError { .. }) =>
            {
                Err(this.fail(error))
            }
            Err(Failure::Refused(error)) => Err(this.record_error(error)),
            Err(Failure::Fatal(error)) => Err(this.fail(error)),
        }
    }
}

async fn deliver(
    guest: &mut Guest,
    limits: &Limits,
    events: &mut Vec<Event>,
    message: &[u8],
    defect: Option<Defect>,
) -> Result<Vec<u8>, Failure> {
    let Some(handle) = guest.handle_message.clone() else {
        return Err(refused(Fault::MissingExport {
            export: HANDLE_MESSAGE.into(),
        }));
    };
    // The export check guarantees both whenever `handle-message` is exported.
    let (alloc, memory) = (
        guest.alloc.clone().expect("checked export `alloc`"),
        guest.memory.expect("checked export `memory`"),
    );
    let len = message.len() as u64;
    let Some(wasm_len) = u32::try_from(len)
        .ok()
        .filter(|_| limits.admits_message(len) || defect == Some(Defect::MessageSizeUnchecked))
    else {
        return Err(rejected(RejectReason::TooLarge));
    };
    let fatal = |failure| Failure::Fatal(Error::new(Stage::HandleMessage, Fault::from(failure)));

    guest.arm_deadline(limits.call_timeout);
    let result = guest.call(&alloc, wasm_len as i32).await;
    record_call(events, guest, Entry::Alloc, &result.map(|_| ()));
    let ptr = u64::from(result.map_err(fatal)? as u32);
    if !in_bounds(ptr, len, memory.data_size(&guest.store) as u64) {
        return Err(rejected(RejectReason::AllocOutOfBounds));
    }
    memory
        .write(&mut guest.store, ptr as usize, message)
        .expect("bounds checked above");

    if defect == Some(Defect::CallDeadlineRearmed) {
        guest.arm_deadline(limits.call_timeout);
    }
    let params = (ptr as u32 as i32, wasm_len as i32);
    let result = match defect == Some(Defect::HandlerSharesAllocFuel) {
        true => guest.call_on_leftover_fuel(&handle, params).await,
        false => guest.call(&handle, params).await,
    };
    record_call(events, guest, Entry::HandleMessage, &result.map(|_| ()));
    match decode(result.map_err(fatal)?) {
        Decoded::AppError(code) => Err(refused(Fault::MessageError { code })),
        Decoded::NoReply => Ok(Vec::new()),
        Decoded::Reply { ptr, mut len } => {
            let size = memory.data_size(&guest.store) as u64;
            if !in_bounds(ptr, len, size) && defect == Some(Defect::ReplyClamped) && ptr <= size {
                len = size - ptr;
            }
            if !in_bounds(ptr, len, size) {
                return Err(rejected(RejectReason::ReplyOutOfBounds));
            }
            if !limits.admits_message(len) && defect != Some(Defect::ReplySizeUnchecked) {
                return Err(rejected(RejectReason::ReplyTooLarge));
            }
            let start = ptr as usize;
            Ok(memory.data(&guest.store)[start..start + len as usize].to_vec())
        }
    }
}
