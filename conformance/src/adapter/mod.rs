//! The out-of-process adapter protocol (`conformance/ADAPTER.md`): JSON lines over an
//! adapter's stdin and stdout. [`serve`] puts any in-process [`Subject`] behind the
//! protocol, reading each request into a [`Step`] that the one driver
//! ([`crate::drive::step`]) performs; [`Adapter`] is a [`Subject`] that drives an adapter
//! process, so the suite checks a runtime in any language exactly as it checks one in
//! process.
//!
//! Every line an adapter writes is checked against `conformance/adapter.schema.json`,
//! the protocol's one definition, before anything reads it. A line outside the protocol
//! (not JSON, a field missing or misspelled, an answer to another request, silence past
//! the answer timeout, an exit) ends that adapter: its process is killed, and
//! [`Subject::failure`] says, in one line, which request got which wrong answer at which
//! field. The runner then fails that case with that line; nothing panics.
//!
//! Where each part is: `schema.rs` checks lines against the schema (`written.rs` keeps
//! the order an adapter wrote them in), `messages.rs` holds what the kit writes and
//! reads (events, modules), `server.rs` is [`serve`], `handshake.rs` starts an adapter,
//! `process.rs` talks to it, and `client.rs` is the [`Adapter`] subject over it.

mod client;
mod handshake;
mod messages;
mod process;
mod schema;
mod server;
mod written;

pub use client::{Adapter, AdapterComponent};
pub use handshake::ConnectError;
pub use messages::{MALFORMED_IN_PLACE_OF_TEXT, event_json};
pub use process::{ProtocolError, Request};
pub use schema::{SCHEMA, SchemaViolation, check_line, check_written};
pub use server::{Refusal, serve};

pub const PROTOCOL: &str = "lifecycle-adapter/2";
