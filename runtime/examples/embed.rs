//! An actor runtime embedding the reference lifecycle: each actor is a component with a
//! mailbox, run under the contract's limits; one that fails is replaced by a new
//! component (never restarted in place), and shutdown stops every actor under a timeout.
//! `cargo run -p lifecycle-runtime --example embed`.

use lifecycle_runtime::{ComponentConfig, Error, Limits, ModuleSource, Runtime, State};
use std::time::Duration;
use tokio::sync::mpsc;

// The kit's echo actor (a link to `examples/echo.wat`, so that the packaged crate has it).
const ECHO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/echo.wat");

/// One actor: its mailbox's messages in, its replies out, until the mailbox closes.
async fn actor(runtime: Runtime, mut mailbox: mpsc::Receiver<Vec<u8>>) -> Result<usize, Error> {
    let limits = Limits {
        max_memory_bytes: 1 << 20,
        call_timeout: Duration::from_millis(100),
        ..Limits::default()
    };
    let config = ComponentConfig {
        limits,
        ..ComponentConfig::default()
    };
    let mut component = runtime.component(ModuleSource::file(ECHO), config.clone());
    component.start().await?;
    let mut handled = 0;
    while let Some(message) = mailbox.recv().await {
        match component.handle_message(&message).await {
            Ok(reply) => println!(
                "{} -> {}",
                String::from_utf8_lossy(&message),
                String::from_utf8_lossy(&reply)
            ),
            Err(error) => println!("message failed: {error}"),
        }
        handled += 1;
        if component.state() == State::Failed {
            component.stop(Duration::from_secs(1)).await?;
            component = runtime.component(ModuleSource::file(ECHO), config.clone());
            component.start().await?;
        }
    }
    component.stop(Duration::from_secs(1)).await?;
    Ok(handled)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let runtime = Runtime::new()?;
    let (send, mailbox) = mpsc::channel(8);
    let running = tokio::spawn(actor(runtime.clone(), mailbox));
    for word in ["hello", "actor", "world"] {
        send.send(word.as_bytes().to_vec())
            .await
            .expect("the actor is running");
    }
    drop(send);
    let handled = running.await.expect("the actor did not panic")?;
    assert_eq!(
        (handled, runtime.live_instances()),
        (3, 0),
        "every instance released"
    );
    println!("{handled} messages; nothing held after shutdown");
    Ok(())
}
