//! The built-in cases and expectations are compiled into the crate (`include_dir!`), which
//! cargo does not track on its own: rebuild whenever a file under them changes.

fn main() {
    println!("cargo:rerun-if-changed=cases");
    println!("cargo:rerun-if-changed=expectations");
}
