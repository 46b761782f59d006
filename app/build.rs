//! Tauri's build step: reads tauri.conf.json and capabilities/ at the root.
fn main() {
    tauri_build::build()
}
