//! The engine's Web Worker.

fn main() {
    modelplay_worker::js::start();
}
