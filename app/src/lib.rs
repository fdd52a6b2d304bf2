//! The modelplay page. The UI (`ui`, the `app` binary) and the engine (`worker`, the
//! `worker` binary) run in separate WebAssembly modules and talk through `protocol`'s typed
//! messages, so that a long build never freezes the page and a crashed engine never takes
//! the user's edits with it.

pub mod data_target;
pub mod layout;
pub mod profile;
pub mod protocol;
pub mod ui;
pub mod worker;
pub mod workspace;
pub mod workspaces;
