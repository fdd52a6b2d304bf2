// The page's code editor: CodeMirror 6 with SQL (PostgreSQL dialect, Redshift's ancestor)
// inside Jinja, YAML, line numbers, undo, find and the engine's diagnostics. The Rust side
// drives it through the small API exported here (the global `ModelplayEditor`).
import { EditorView, basicSetup } from "codemirror";
import { EditorState, EditorSelection, Prec } from "@codemirror/state";
import { keymap, hoverTooltip } from "@codemirror/view";
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
    ...project.columns.map((c) => ({ label: c.name, type: "property", detail: `${c.data_type} · ${c.of}`, boost: 2 })),
    ...project.macros.map((m) => ({ label: m, type: "function", detail: "macro", boost: 1 })),
    ...REDSHIFT_FUNCTIONS.map(([name, signature]) => ({ label: name, type: "function", detail: signature })),
  ];
  return { from: word ? word.from : context.pos, options, validFor: /^\w*$/ };
}

// The word at `pos` and whether it is the name inside `ref('...')`.
function nameAt(state, pos) {
  const word = state.wordAt(pos);
  if (!word) return null;
  const text = state.sliceDoc(word.from, word.to);
  const line = state.doc.lineAt(word.from);
  const before = state.sliceDoc(line.from, word.from);
  const inRef = /\bref\(\s*(?:['"][\w.]*['"]\s*,\s*)?['"]$/.test(before);
  return { ...word, text, inRef };
}

// Whether a name can be gone to: a model, seed or snapshot named in a ref, or a macro.
function hasDefinition(name) {
  if (name.inRef) return project.models.some((m) => m.name === name.text);
  return project.macros.includes(name.text) && !project.columns.some((c) => c.name === name.text);
}

function tip(lines) {
  const dom = document.createElement("div");
  dom.className = "cm-project-tip";
  for (const [text, cls] of lines) {
    const line = document.createElement("div");
    line.textContent = text;
    if (cls) line.className = cls;
    dom.appendChild(line);
  }
  return { dom };
}

// Hover says what a name is: a column's type and model, a ref's kind, a macro, or a
// Redshift function's signature.
const projectHover = hoverTooltip((view, pos) => {
  const name = nameAt(view.state, pos);
  if (!name) return null;
  const lines = [];
  if (name.inRef) {
    const model = project.models.find((m) => m.name === name.text);
    if (model) lines.push([`${model.kind} ${model.name}`], ["Ctrl+click or F12 opens it", "hint"]);
  } else {
    for (const c of project.columns.filter((c) => c.name === name.text)) {
      lines.push([`${c.name} ${c.data_type}`, "type"], [c.of, "hint"]);
    }
    if (!lines.length && project.macros.includes(name.text)) {
      lines.push([`macro ${name.text}`], ["Ctrl+click or F12 opens it", "hint"]);
    }
    if (!lines.length) {
      const fn = REDSHIFT_FUNCTIONS.find(([n]) => n === name.text.toLowerCase());
      if (fn) lines.push([fn[1], "type"]);
    }
  }
  if (!lines.length) return null;
  return { pos: name.from, end: name.to, above: true, create: () => tip(lines) };
});

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

export function create(parent, onChange, onRun, onDefinition) {
  let path = "";
  let silent = false;
  const goToDefinition = (state, pos) => {
    const name = nameAt(state, pos);
    if (!name || !hasDefinition(name)) return false;
    onDefinition(name.text);
    return true;
  };
  const extensions = (newPath, readOnly) => [
    Prec.highest(
      keymap.of([
        { key: "Mod-Enter", run: () => (onRun(), true) },
        // The page saves on every change; keep the browser's "save page" dialog away.
        { key: "Mod-s", run: () => true, preventDefault: true },
        { key: "F12", run: (view) => goToDefinition(view.state, view.state.selection.main.head) },
      ]),
    ),
    EditorView.domEventHandlers({
      mousedown(event, view) {
        if (!(event.ctrlKey || event.metaKey) || event.button !== 0) return false;
        const pos = view.posAtCoords({ x: event.clientX, y: event.clientY });
        if (pos === null || !goToDefinition(view.state, pos)) return false;
        event.preventDefault();
        return true;
      },
    }),
    projectHover,
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
    // names: {models: [{name, kind}], sources: {source: [table]}, columns: [{name, of, data_type}], macros: [name]}
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
