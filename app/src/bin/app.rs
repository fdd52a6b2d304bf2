//! The page.

fn main() {
    modelplay_app::ui::mount();
}
