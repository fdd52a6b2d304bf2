// The page's code editor: CodeMirror 6 with SQL (PostgreSQL dialect, Redshift's ancestor)
// inside Jinja, YAML, line numbers, undo, find and the engine's diagnostics. The Rust side
// drives it through the small API exported here (the global `ModelplayEditor`).
import { EditorView, basicSetup } from "codemirror";
import { EditorState, EditorSelection, Prec } from "@codemirror/state";
import { keymap } from "@codemirror/view";
import { insertNewlineAndIndent } from "@codemirror/commands";
import { REDSHIFT_FUNCTIONS } from "./functions.js";
import { sql, PostgreSQL } from "@codemirror/lang-sql";
import { jinja } from "@codemirror/lang-jinja";
import { yaml } from "@codemirror/lang-yaml";
import { setDiagnostics, lintGutter } from "@codemirror/lint";

function languageFor(path) {
  if (path.endsWith(".yml") || path.endsWith(".yaml")) return yaml();
  if (path.endsWith(".sql")) return jinja({ base: sql({ dialect: PostgreSQL }) });
  return [];
}

// What the project offers where the cursor is: models inside `ref('`, sources and their
// tables inside `source('`, and elsewhere the columns of the models in scope, the project's
// macros and Redshift's functions. The page sends the names with setCompletions.
let project = { models: [], sources: {}, columns: [], macros: [] };

function projectCompletions(context) {
  const inRef = context.matchBefore(/\bref\(\s*(?:['"][\w.]*['"]\s*,\s*)?['"][\w.]*$/);
  if (inRef) {
    const from = inRef.from + Math.max(inRef.text.lastIndexOf("'"), inRef.text.lastIndexOf('"')) + 1;
    return {
      from,
      options: project.models.map((m) => ({ label: m.name, type: "class", detail: m.kind })),
      validFor: /^[\w.]*$/,
    };
  }
  const inTable = context.matchBefore(/\bsource\(\s*['"](\w+)['"]\s*,\s*['"]\w*$/);
  if (inTable) {
    const source = /source\(\s*['"](\w+)/.exec(inTable.text)[1];
    const from = inTable.from + Math.max(inTable.text.lastIndexOf("'"), inTable.text.lastIndexOf('"')) + 1;
    return {
      from,
      options: (project.sources[source] ?? []).map((t) => ({ label: t, type: "class", detail: `table of ${source}` })),
      validFor: /^\w*$/,
    };
  }
  const inSource = context.matchBefore(/\bsource\(\s*['"]\w*$/);
  if (inSource) {
    const from = inSource.from + Math.max(inSource.text.lastIndexOf("'"), inSource.text.lastIndexOf('"')) + 1;
    return {
      from,
      options: Object.keys(project.sources).map((s) => ({ label: s, type: "namespace", detail: "source" })),
      validFor: /^\w*$/,
    };
  }
  const word = context.matchBefore(/\w+/);
  if (!word && !context.explicit) return null;
  const options = [
    ...project.columns.map((c) => ({ label: c.name, type: "property", detail: c.of, boost: 2 })),
    ...project.macros.map((m) => ({ label: m, type: "function", detail: "macro", boost: 1 })),
    ...REDSHIFT_FUNCTIONS.map(([name, signature]) => ({ label: name, type: "function", detail: signature })),
  ];
  return { from: word ? word.from : context.pos, options, validFor: /^\w*$/ };
}

// Enter keeps the indentation of the line it breaks, where SQL inside Jinja has no
// indentation rules of its own.
function newlineKeepingIndent(view) {
  const { state } = view;
  const tr = state.changeByRange((range) => {
    const indent = /^[ \t]*/.exec(state.doc.lineAt(range.from).text)[0];
    const insert = "\n" + indent;
    return {
      changes: { from: range.from, to: range.to, insert },
      range: EditorSelection.cursor(range.from + insert.length),
    };
  });
  view.dispatch(tr, { scrollIntoView: true, userEvent: "input" });
  return true;
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
    Prec.high(keymap.of([{ key: "Enter", run: newPath.endsWith(".sql") ? newlineKeepingIndent : insertNewlineAndIndent }])),
    basicSetup,
    lintGutter(),
    languageFor(newPath),
    EditorState.languageData.of(() => [{ autocomplete: projectCompletions }]),
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
    // names: {models: [{name, kind}], sources: {source: [table]}, columns: [{name, of}], macros: [name]}
    setCompletions(names) {
      project = names;
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
