// The page's code editor: CodeMirror 6 with SQL (PostgreSQL dialect, Redshift's ancestor)
// inside Jinja, YAML, line numbers, undo, find and the engine's diagnostics. The Rust side
// drives it through the small API exported here (the global `ModelplayEditor`).
import { EditorView, basicSetup } from "codemirror";
import { EditorState, Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { jinja } from "@codemirror/lang-jinja";
import { yaml } from "@codemirror/lang-yaml";
import { setDiagnostics, lintGutter } from "@codemirror/lint";

function languageFor(path) {
  if (path.endsWith(".yml") || path.endsWith(".yaml")) return yaml();
  if (path.endsWith(".sql")) return jinja({ base: sql({ dialect: PostgreSQL }) });
  return [];
}

// Line and column are 1-based, as the engine reports them; both are clamped to the text.
function offset(doc, line, column) {
  const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
  return Math.min(l.from + Math.max(column - 1, 0), l.to);
}

export function create(parent, onChange, onRun) {
  let path = "";
  let silent = false;
  const extensions = (newPath, readOnly) => [
    Prec.highest(
      keymap.of([
        { key: "Mod-Enter", run: () => (onRun(), true) },
        // The page saves on every change; keep the browser's "save page" dialog away.
        { key: "Mod-s", run: () => true, preventDefault: true },
      ]),
    ),
    basicSetup,
    lintGutter(),
    languageFor(newPath),
    EditorView.editable.of(!readOnly),
    EditorView.updateListener.of((u) => {
      if (u.docChanged && !silent) onChange(path, u.state.doc.toString());
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc: "", extensions: extensions("", true) }) });
  return {
    // Opens a file in a fresh state, so that undo history does not cross files.
    open(newPath, text, readOnly) {
      path = newPath;
      silent = true;
      view.setState(EditorState.create({ doc: text, extensions: extensions(newPath, readOnly) }));
      silent = false;
    },
    text() {
      return view.state.doc.toString();
    },
    // list: [{line, column, message, severity: "error" | "warning"}], 1-based positions.
    diagnostics(list) {
      const doc = view.state.doc;
      const items = list.map((d) => {
        const from = offset(doc, d.line, d.column);
        return { from, to: Math.max(from, doc.lineAt(from).to), severity: d.severity, message: d.message };
      });
      view.dispatch(setDiagnostics(view.state, items));
    },
    goto(line, column) {
      view.dispatch({ selection: { anchor: offset(view.state.doc, line, column) }, scrollIntoView: true });
      view.focus();
    },
    focus() {
      view.focus();
    },
  };
}
