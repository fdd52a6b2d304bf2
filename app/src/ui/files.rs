//! The project's files as a tree of folders, with create, rename and delete.

use std::collections::BTreeMap;

use leptos::prelude::*;

use super::actions;
use super::state::ui;

/// Folders and their files, one level deep per folder path.
fn folders(paths: &[String]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in paths {
        let folder = p
            .rsplit_once('/')
            .map(|(d, _)| d.to_string())
            .unwrap_or_default();
        out.entry(folder).or_default().push(p.clone());
    }
    out
}

#[component]
pub fn FileTree() -> impl IntoView {
    let ui = ui();
    let paths = Memo::new(move |_| ui.files.with(|f| f.keys().cloned().collect::<Vec<_>>()));
    let status_of = move |path: &str| {
        let path = path.to_string();
        ui.nodes.with(|nodes| {
            nodes
                .iter()
                .find(|n| n.path == path && n.kind.builds_from_file())
                .and_then(|n| {
                    ui.states
                        .with(|s| s.get(&n.unique_id).map(|st| st.as_str()))
                })
        })
    };
    view! {
        <nav class="files" data-testid="files">
            <div class="workspaces">
                <select
                    data-testid="workspace"
                    title="Workspaces kept in this browser"
                    on:change=move |ev| {
                        if let Ok(id) = event_target_value(&ev).parse::<u32>() {
                            actions::switch_workspace(ui, id);
                        }
                    }
                >
                    {move || ui.shelf.with(|s| s.list.iter().map(|e| view! {
                        <option value=e.id.to_string() selected=e.id == s.current>{e.name.clone()}</option>
                    }).collect_view())}
                </select>
                <button class="icon" title="New workspace" data-testid="workspace-new" on:click=move |_| actions::new_workspace(ui)>"+"</button>
                <button class="icon" title="Rename workspace" data-testid="workspace-rename" on:click=move |_| actions::rename_workspace(ui)>"✎"</button>
                <button class="icon" title="Delete workspace" data-testid="workspace-delete" on:click=move |_| actions::delete_workspace(ui)>"×"</button>
            </div>
            <div class="files-head">
                <span>"Files"</span>
                <button title="New file" data-testid="new-file" on:click=move |_| actions::new_file(ui)>"+"</button>
            </div>
            {move || {
                folders(&paths.get())
                    .into_iter()
                    .map(|(folder, files)| {
                        let label = if folder.is_empty() { "/".to_string() } else { format!("{folder}/") };
                        // Sample data folders are long; start them folded.
                        let open = !folder.starts_with("data");
                        view! {
                            <details open=open>
                                <summary>{label}</summary>
                                <ul>
                                    {files
                                        .into_iter()
                                        .map(|path| {
                                            let name = path.rsplit('/').next().unwrap_or_default().to_string();
                                            let p_open = path.clone();
                                            let p_rename = path.clone();
                                            let p_delete = path.clone();
                                            let p_active = path.clone();
                                            let p_status = path.clone();
                                            view! {
                                                <li
                                                    class="file"
                                                    class:active=move || ui.open.get().as_deref() == Some(p_active.as_str())
                                                    data-path=path.clone()
                                                >
                                                    <span
                                                        class=move || format!("dot {}", status_of(&p_status).unwrap_or_default())
                                                    ></span>
                                                    <a title=path.clone() on:click=move |_| actions::open_file(ui, p_open.clone())>{name}</a>
                                                    <button class="icon" title="Rename" on:click=move |_| actions::rename_file(ui, p_rename.clone())>"✎"</button>
                                                    <button class="icon" title="Delete" on:click=move |_| actions::delete_file(ui, p_delete.clone())>"×"</button>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </details>
                        }
                    })
                    .collect_view()
            }}
        </nav>
    }
}
