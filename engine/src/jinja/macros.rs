//! Macros: the project's `macros/` files, dbt's built-in tests, and the way a macro is
//! called by name from any template and leaves with `return(...)`.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use minijinja::value::{Object, Value};
use minijinja::{Error, ErrorKind, State};
use regex::Regex;

use super::base_context;
use super::functions::{RETURN_MARKER, ctx};

pub(crate) const BUILTIN_TESTS_FILE: &str = "__modelplay__/builtin_tests.sql";
pub(crate) const DBT_UTILS_FILE: &str = "__modelplay__/dbt_utils_tests.sql";
pub(crate) const DBT_MACROS_FILE: &str = "__modelplay__/dbt_macros.sql";

/// The package dbt's own macros belong to, as `adapter.dispatch(..., 'dbt')` names it.
pub(crate) const INTERNAL_PACKAGE: &str = "dbt";

/// The global that holds the [`Registry`].
pub(crate) const REGISTRY: &str = "__modelplay_macros";

/// Every macro by the package that defines it, and the project's `dispatch:` search orders:
/// what `adapter.dispatch` and `package.macro(...)` look through.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    root: String,
    /// In the order their layers were added; a macro added again replaces the earlier one.
    packages: Vec<(String, HashMap<String, Value>)>,
    dispatch: Vec<(String, Vec<String>)>,
}

impl Registry {
    pub(crate) fn new(root: &str, dispatch: &[(String, Vec<String>)]) -> Self {
        Registry {
            root: root.to_string(),
            packages: Vec::new(),
            dispatch: dispatch.to_vec(),
        }
    }

    pub(crate) fn add(&mut self, package: &str, name: &str, callable: Value) {
        match self.packages.iter_mut().find(|(p, _)| p == package) {
            Some((_, macros)) => {
                macros.insert(name.to_string(), callable);
            }
            None => self.packages.push((
                package.to_string(),
                HashMap::from([(name.to_string(), callable)]),
            )),
        }
    }

    /// The macro `name` of `package`.
    pub(crate) fn get(&self, package: &str, name: &str) -> Option<Value> {
        self.packages
            .iter()
            .find(|(p, _)| p == package)?
            .1
            .get(name)
            .cloned()
    }

    /// Where dbt's `adapter.dispatch` looks for a macro of `namespace`: the project's
    /// `dispatch:` order for it; else, for an installed package, the root project then the
    /// package; else the namespace alone. No namespace searches everything.
    pub(crate) fn search_order(&self, namespace: Option<&str>) -> Vec<String> {
        match namespace {
            None => self.packages.iter().rev().map(|(p, _)| p.clone()).collect(),
            Some(ns) => match self.dispatch.iter().find(|(n, _)| n == ns) {
                Some((_, order)) => order.clone(),
                None if ns != INTERNAL_PACKAGE
                    && ns != self.root
                    && self.packages.iter().any(|(p, _)| p == ns) =>
                {
                    vec![self.root.clone(), ns.to_string()]
                }
                None => vec![ns.to_string()],
            },
        }
    }
}

impl Object for Registry {}

/// dbt's own macros, before the project's: a project macro of the same name replaces one of
/// these, as in dbt.
pub(crate) const BUILTINS: &[(&str, &str)] = &[
    (DBT_MACROS_FILE, include_str!("dbt_macros.sql")),
    (BUILTIN_TESTS_FILE, include_str!("builtin_tests.sql")),
    (DBT_UTILS_FILE, include_str!("dbt_utils_tests.sql")),
];

static TEST_BLOCK: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"\{%(-?)\s*test\s+([A-Za-z_][A-Za-z0-9_]*)\s*\("));
static END_TEST: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"\{%(-?)\s*endtest\s*(-?)%\}"));
static MACRO_NAME: LazyLock<Result<Regex, regex::Error>> =
    LazyLock::new(|| Regex::new(r"\{%-?\s*macro\s+([A-Za-z_][A-Za-z0-9_]*)\s*\("));

/// dbt spells generic tests `{% test name(...) %}`; they are macros named `test_name`.
/// The rewrite keeps every line where it was, so error locations stay right.
/// Python's mutable lists and dicts are set up the same way (see `mutable_literals`).
pub fn preprocess(source: &str) -> String {
    let (Ok(test_block), Ok(end_test)) = (&*TEST_BLOCK, &*END_TEST) else {
        return source.to_string();
    };
    let s = test_block.replace_all(source, "{%${1} macro test_${2}(");
    let s = end_test.replace_all(&s, "{%${1} endmacro ${2}%}");
    super::mutable::mutable_literals(&s)
}

/// The names of the macros a file defines.
pub fn macro_names(source: &str) -> Vec<String> {
    match &*MACRO_NAME {
        Ok(re) => re
            .captures_iter(source)
            .filter_map(|c| c.get(1).map(|m| m.as_str().to_string()))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Where in `source` the definition of macro `name` starts (its `{%`).
pub(crate) fn definition_offset(source: &str, name: &str) -> Option<usize> {
    let Ok(re) = &*MACRO_NAME else {
        return None;
    };
    re.captures_iter(source)
        .find(|c| c.get(1).is_some_and(|m| m.as_str() == name))
        .and_then(|c| c.get(0))
        .map(|m| m.start())
}

/// A macro defined in `file`, callable from any template by its name.
#[derive(Debug, Clone)]
pub(crate) struct MacroFn {
    file: String,
    name: String,
}

impl MacroFn {
    pub(crate) fn new(file: &str, name: &str) -> Self {
        MacroFn {
            file: file.to_string(),
            name: name.to_string(),
        }
    }

    pub(crate) fn exists(&self, state: &State) -> bool {
        state
            .env()
            .get_template(&self.file)
            .is_ok_and(|t| macro_names(t.source()).contains(&self.name))
    }
}

impl Object for MacroFn {
    fn call(self: &Arc<Self>, state: &mut State<'_, '_>, args: &[Value]) -> Result<Value, Error> {
        let render_ctx = ctx(state)?;
        let template = state.env().get_template(&self.file)?;
        let mut captured = template.render_captured(base_context(&render_ctx))?;
        let result = captured.with_state_mut(|st| {
            let Some(m) = st.lookup(&self.name) else {
                return Err(Error::new(
                    ErrorKind::UnknownFunction,
                    format!("macro {} is not defined in {}", self.name, self.file),
                ));
            };
            m.call(st, args)
        });
        match result {
            Err(e) if e.detail() == Some(RETURN_MARKER) => {
                Ok(render_ctx.returned().take().unwrap_or_default())
            }
            other => other,
        }
    }
}
