//! `cargo run -p lifecycle-generators --example componentize -- MODULE.wasm COMPONENT.wasm`:
//! a core module built by a guest toolchain (with its world's type embedded, as
//! `wit-bindgen` does) made a component, as `wasm-tools component new` would.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: componentize MODULE.wasm COMPONENT.wasm");
        return ExitCode::from(2);
    };
    let module = match std::fs::read(input) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::from(2);
        }
    };
    let component = match lifecycle_generators::canonical::componentize(&module) {
        Ok(component) => component,
        Err(e) => {
            eprintln!("{input}: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::write(output, component) {
        eprintln!("{output}: {e}");
        return ExitCode::from(2);
    }
    ExitCode::SUCCESS
}
