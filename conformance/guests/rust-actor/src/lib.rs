//! An actor written the way a guest author writes one: Rust, `wit-bindgen` bindings of the
//! kit's WIT world `actor`, compiled for `wasm32-unknown-unknown` and made a component by
//! `wit-component` (`conformance/guests/build.sh`). The suite checks it like any other
//! component (`conformance/cases/components.toml`, cases `rust-actor-*`).
//!
//! What it does: every message is answered with its bytes reversed; an empty message is
//! the application error 7; the message `fail` makes it unhealthy until the next message;
//! `initialize` refuses a configuration that has a key `refuse`.

wit_bindgen::generate!({
    path: "../../wit",
    world: "actor",
});

use exports::lifecycle_kit::actor::lifecycle::{
    ApplicationError, ComponentError, Guest, HealthStatus,
};
use std::sync::atomic::{AtomicBool, Ordering};

static UNWELL: AtomicBool = AtomicBool::new(false);

struct Actor;

impl Guest for Actor {
    fn initialize(config: Vec<(String, String)>) -> Result<(), ComponentError> {
        match config.iter().find(|(key, _)| key == "refuse") {
            Some((_, why)) => Err(ComponentError::ConfigurationInvalid(why.clone())),
            None => Ok(()),
        }
    }

    fn handle_message(message: Vec<u8>) -> Result<Option<Vec<u8>>, ApplicationError> {
        if message.is_empty() {
            return Err(ApplicationError {
                code: 7,
                message: "an empty message".into(),
            });
        }
        UNWELL.store(message == b"fail", Ordering::Relaxed);
        Ok(Some(message.into_iter().rev().collect()))
    }

    fn health() -> HealthStatus {
        match UNWELL.load(Ordering::Relaxed) {
            true => HealthStatus::Unhealthy,
            false => HealthStatus::Healthy,
        }
    }

    fn shutdown() -> Result<(), ComponentError> {
        Ok(())
    }
}

export!(Actor);
