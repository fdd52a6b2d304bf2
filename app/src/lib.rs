//! The modelplay page. The UI runs here; the engine runs in a Web Worker, in its own
//! WebAssembly module (`modelplay-worker`), and the two talk through `modelplay-protocol`'s
//! typed messages, so that a long build never freezes the page and a crashed engine never
//! takes the user's edits with it.

pub mod completions;
pub mod layout;
pub mod ui;
pub mod workspace;
pub mod workspaces;
