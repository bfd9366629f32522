//! The message ABI (SPEC.md §3, LC-MSG-*): size check, `alloc`, bounds check, copy,
//! `handle-message`, and decoding its result; on a component (§8), the size checks
//! around one call of the world's `handle-message`, whose argument and result the
//! engine lowers and lifts.
//!
//! Invariant: only a trap, fuel exhaustion or timeout in `alloc` or `handle-message`
//! fails the component (on a component: in `handle-message`, its `cabi_realloc` or its
//! post-return, or a value the host cannot lift, LC-CM-9); every other refusal leaves it
//! `ready`.

use super::component::{Component, Ongoing, call_armed, call_world, mismatched, record_call};
use super::log::EventLog;
use crate::engine::{Call, Engine, Guest, Lifted, WorldCall};
use lifecycle_contract::error::{Fault, RejectReason};
use lifecycle_contract::exports::HANDLE_MESSAGE;
use lifecycle_contract::message::{Decoded, decode, in_bounds};
use lifecycle_contract::{Abi, Entry, Error, Limits, Stage};

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

impl<E: Engine> Component<E> {
    /// Delivers one message and returns the reply (empty for none). Allowed only in
    /// `ready`. A trap, fuel exhaustion or timeout in `alloc` or `handle-message` fails
    /// the component; every other error leaves it `ready`.
    pub async fn handle_message(&mut self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut op = Ongoing::new(self, "handle_message");
        let result = match op.ready_parts() {
            Some((guest, limits, events)) => Some(match guest.abi() {
                Abi::Core => deliver(guest, limits, events, message).await,
                Abi::Component => deliver_lifted(guest, limits, events, message).await,
            }),
            None => None,
        };
        let this = op.finish();
        match result {
            None => Err(this.invalid_state(Stage::HandleMessage)),
            Some(Ok(reply)) => Ok(reply),
            Some(Err(Failure::Refused(error))) => Err(this.record_error(error)),
            Some(Err(Failure::Fatal(error))) => Err(this.fail(error)),
        }
    }
}
async fn deliver<G: Guest>(
    guest: &mut G,
    limits: &Limits,
    events: &mut EventLog,
    message: &[u8],
) -> Result<Vec<u8>, Failure> {
    if !guest.exports(Entry::HandleMessage) {
        return Err(refused(Fault::MissingExport {
            export: HANDLE_MESSAGE.into(),
        }));
    }
    let len = message.len() as u64;
    let Some(wasm_len) = u32::try_from(len)
        .ok()
        .filter(|_| limits.admits_message(len))
    else {
        return Err(rejected(RejectReason::TooLarge));
    };

    // One deadline for `alloc` and `handle-message` together; fresh fuel for each.
    guest.arm_deadline(limits.call_timeout);
    let fuel = limits.fuel_per_call;
    let result = call_armed(guest, Call::Alloc { len: wasm_len }, fuel).await;
    record_call(events, guest, Entry::Alloc, &result);
    let ptr = u64::from(result.map_err(fatal)? as u32);
    if !in_bounds(ptr, len, guest.memory_size()) {
        return Err(rejected(RejectReason::AllocOutOfBounds));
    }
    guest.write(ptr, message);

    let call = Call::HandleMessage {
        ptr: ptr as u32,
        len: wasm_len,
    };
    let result = call_armed(guest, call, fuel).await;
    record_call(events, guest, Entry::HandleMessage, &result);
    match decode(result.map_err(fatal)?) {
        Decoded::AppError(code) => Err(refused(Fault::MessageError { code })),
        Decoded::NoReply => Ok(Vec::new()),
        Decoded::Reply { ptr, len } => {
            if !in_bounds(ptr, len, guest.memory_size()) {
                return Err(rejected(RejectReason::ReplyOutOfBounds));
            }
            if !limits.admits_message(len) {
                return Err(rejected(RejectReason::ReplyTooLarge));
            }
            Ok(guest.read(ptr, len))
        }
    }
}

/// A guest failure in a message: fatal.
fn fatal(failure: lifecycle_contract::GuestFailure) -> Failure {
    Failure::Fatal(Error::new(Stage::HandleMessage, Fault::from(failure)))
}

/// A message to a component: the same size checks, one call of `handle-message` under
/// the call's deadline and fresh fuel (what `cabi_realloc` spends lowering the message
/// included), and the reply's size check.
async fn deliver_lifted<G: Guest>(
    guest: &mut G,
    limits: &Limits,
    events: &mut EventLog,
    message: &[u8],
) -> Result<Vec<u8>, Failure> {
    if !limits.admits_message(message.len() as u64) {
        return Err(rejected(RejectReason::TooLarge));
    }
    guest.arm_deadline(limits.call_timeout);
    let call = WorldCall::HandleMessage(message);
    let result = match call_world(guest, call, limits.fuel_per_call).await {
        Ok(Lifted::Reply(reply)) => Ok(Ok(reply)),
        Ok(Lifted::ApplicationError(code)) => Ok(Err(code)),
        other => Err(mismatched(call, other)),
    };
    record_call(events, guest, Entry::HandleMessage, &result);
    match result.map_err(fatal)? {
        Err(code) => Err(refused(Fault::MessageError { code })),
        Ok(None) => Ok(Vec::new()),
        Ok(Some(reply)) if !limits.admits_message(reply.len() as u64) => {
            Err(rejected(RejectReason::ReplyTooLarge))
        }
        Ok(Some(reply)) => Ok(reply),
    }
}
