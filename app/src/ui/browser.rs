//! The few browser services the page uses: storage, downloads, dialogs, the URL fragment.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

use crate::workspace::Saved;

use crate::workspaces::Shelf;

/// Where the page kept its one workspace before there were several.
const OLD_WORKSPACE_KEY: &str = "modelplay.workspace";
const SHELF_KEY: &str = "modelplay.workspaces";

fn workspace_key(id: u32) -> String {
    format!("modelplay.workspace.{id}")
}

fn window() -> Option<web_sys::Window> {
    web_sys::window()
}

fn storage() -> Option<web_sys::Storage> {
    window()?.local_storage().ok().flatten()
}

/// The list of workspaces; a page that kept a single workspace has it become the first.
pub fn shelf() -> Shelf {
    let Some(storage) = storage() else {
        return Shelf::default();
    };
    if let Some(shelf) = storage
        .get_item(SHELF_KEY)
        .ok()
        .flatten()
        .and_then(|t| serde_json::from_str::<Shelf>(&t).ok())
    {
        return shelf;
    }
    let shelf = Shelf::default();
    if let Ok(Some(old)) = storage.get_item(OLD_WORKSPACE_KEY)
        && storage
            .set_item(&workspace_key(shelf.current), &old)
            .is_ok()
    {
        let _ = storage.remove_item(OLD_WORKSPACE_KEY);
    }
    let _ = save_shelf(&shelf);
    shelf
}

pub fn save_shelf(shelf: &Shelf) -> Result<(), String> {
    let text = serde_json::to_string(shelf).map_err(|e| e.to_string())?;
    storage()
        .ok_or("this browser gives the page no storage")?
        .set_item(SHELF_KEY, &text)
        .map_err(|_| "the browser refused to save the list of workspaces".to_string())
}

/// A workspace's files, as saved.
pub fn load_workspace(id: u32) -> Option<Saved> {
    let text = storage()?.get_item(&workspace_key(id)).ok().flatten()?;
    serde_json::from_str(&text).ok()
}

/// Saves a workspace's files; the error says why it could not (a full quota, private mode).
pub fn save_workspace(id: u32, saved: &Saved) -> Result<(), String> {
    let text = serde_json::to_string(saved).map_err(|e| e.to_string())?;
    let storage = storage().ok_or("this browser gives the page no storage")?;
    storage.set_item(&workspace_key(id), &text).map_err(|_| {
        "the browser refused to save the workspace (storage full? browser storage holds a \
             few MB per page: sample big data files down, or delete a workspace)"
            .to_string()
    })
}

pub fn forget_workspace(id: u32) {
    if let Some(s) = storage() {
        let _ = s.remove_item(&workspace_key(id));
    }
}

/// Offers `bytes` as a file download.
pub fn download(name: &str, bytes: &[u8], mime: &str) {
    let Some(document) = window().and_then(|w| w.document()) else {
        return;
    };
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array);
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options) else {
        return;
    };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else {
        return;
    };
    if let Ok(a) = document.create_element("a")
        && let Ok(a) = a.dyn_into::<web_sys::HtmlAnchorElement>()
    {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

pub fn copy_to_clipboard(text: &str) {
    if let Some(w) = window() {
        let _ = w.navigator().clipboard().write_text(text);
    }
}

/// The URL fragment, without `#`.
pub fn fragment() -> String {
    window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_string())
        .unwrap_or_default()
}

pub fn clear_fragment() {
    if let Some(w) = window()
        && let Ok(history) = w.history()
    {
        let path = w.location().pathname().unwrap_or_default();
        let _ = history.replace_state_with_url(&JsValue::NULL, "", Some(&path));
    }
}

/// The page's address without fragment, to build share links on.
pub fn page_address() -> String {
    window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_string())
        .unwrap_or_default()
}

pub fn origin() -> String {
    window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default()
}
