//! Questions the page asks in a dialog of its own: a name to give, or a yes to a change
//! that cannot be undone. The browser's own prompt blocks the page (and the worker's
//! answers with it) and cannot be styled or described to a screen reader.

use std::sync::Arc;

use leptos::ev;
use leptos::prelude::*;

use super::state::{Ui, ui};

/// What is done with the answer: the text typed (empty for a yes/no question).
pub type Answer = Arc<dyn Fn(String) + Send + Sync>;

#[derive(Clone)]
pub struct Question {
    pub text: String,
    /// The text field's starting value; `None` asks for yes or no.
    pub field: Option<String>,
    /// The label of the button that goes ahead ("Create", "Delete").
    pub go: &'static str,
    pub answer: Answer,
}

/// Asks for a text, starting from `default`; `answer` runs with what was typed on OK.
pub fn text(
    ui: Ui,
    question: impl Into<String>,
    default: impl Into<String>,
    go: &'static str,
    answer: impl Fn(String) + Send + Sync + 'static,
) {
    ui.question.set(Some(Question {
        text: question.into(),
        field: Some(default.into()),
        go,
        answer: Arc::new(answer),
    }));
}

/// Asks to confirm; `answer` runs only on yes.
pub fn confirm(
    ui: Ui,
    question: impl Into<String>,
    go: &'static str,
    answer: impl Fn() + Send + Sync + 'static,
) {
    ui.question.set(Some(Question {
        text: question.into(),
        field: None,
        go,
        answer: Arc::new(move |_| answer()),
    }));
}

#[component]
pub fn AskDialog() -> impl IntoView {
    let ui = ui();
    let typed = RwSignal::new(String::new());
    let field = NodeRef::<leptos::html::Input>::new();
    let go_button = NodeRef::<leptos::html::Button>::new();
    // A new question starts from its default, with the focus where the answer goes.
    Effect::new(move |_| {
        if let Some(q) = ui.question.get() {
            typed.set(q.field.clone().unwrap_or_default());
            request_animation_frame(move || {
                if let Some(input) = field.get_untracked() {
                    let _ = input.focus();
                    select_stem(&input);
                } else if let Some(button) = go_button.get_untracked() {
                    let _ = button.focus();
                }
            });
        }
    });
    let answer = move || {
        if let Some(q) = ui.question.get_untracked() {
            ui.question.set(None);
            (q.answer)(typed.get_untracked());
        }
    };
    let dismiss = move || ui.question.set(None);
    let _ = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.key() == "Escape" && ui.question.with_untracked(Option::is_some) {
            e.prevent_default();
            dismiss();
        }
    });
    view! {
        {move || ui.question.get().map(|q| view! {
            <div class="scrim" on:click=move |_| dismiss()></div>
            <form
                class="dialog ask"
                role="dialog"
                aria-modal="true"
                aria-label=q.text.clone()
                data-testid="ask"
                on:submit=move |ev: ev::SubmitEvent| {
                    ev.prevent_default();
                    answer();
                }
            >
                <p data-testid="ask-question">{q.text.clone()}</p>
                {q.field.is_some().then(|| view! {
                    <input
                        type="text"
                        spellcheck="false"
                        data-testid="ask-field"
                        node_ref=field
                        prop:value=move || typed.get()
                        on:input=move |ev| typed.set(event_target_value(&ev))
                    />
                })}
                <div class="dialog-buttons">
                    <button type="submit" data-testid="ask-go" node_ref=go_button>{q.go}</button>
                    <button type="button" data-testid="ask-cancel" on:click=move |_| dismiss()>"Cancel"</button>
                </div>
            </form>
        })}
    }
}

/// Selects the part of a path a user most often changes: the name before its extension.
fn select_stem(input: &web_sys::HtmlInputElement) {
    let value = input.value();
    let start = value.rfind('/').map_or(0, |i| i + 1);
    let end = value
        .rfind('.')
        .filter(|&i| i > start)
        .unwrap_or(value.len());
    let (start, end) = (
        value[..start].encode_utf16().count() as u32,
        value[..end].encode_utf16().count() as u32,
    );
    let _ = input.set_selection_range(start, end);
}
