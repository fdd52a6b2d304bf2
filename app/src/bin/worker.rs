//! The engine's Web Worker.

fn main() {
    modelplay_app::worker::js::start();
}
