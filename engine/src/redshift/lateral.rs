//! Redshift's lateral column aliases: `select a * 2 as b, b + 1 as c` and `where b > 0`.
//!
//! DataFusion rejects the later `b`. The planner tells us which name it could not find; we
//! then inline the aliased expression wherever that name is used after its alias in the
//! same select list, or in that select's WHERE. A table column of the same name keeps
//! precedence, because only names the planner could not resolve are inlined.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Select, SelectItem, Statement, VisitMut, VisitorMut, visit_expressions_mut,
};

/// Inlines the alias `name`; true if anything changed.
pub fn inline_alias(statement: &mut Statement, name: &str) -> bool {
    let mut v = Inliner {
        name: name.to_lowercase(),
        changed: false,
    };
    let _ = statement.visit(&mut v);
    v.changed
}

struct Inliner {
    name: String,
    changed: bool,
}

fn is_ref(e: &Expr, name: &str) -> bool {
    matches!(e, Expr::Identifier(id) if id.value.to_lowercase() == name)
}

fn replace_in(target: &mut impl VisitMut, name: &str, with: &Expr) -> bool {
    let mut changed = false;
    let _ = visit_expressions_mut(target, |e: &mut Expr| {
        if is_ref(e, name) {
            *e = Expr::Nested(Box::new(with.clone()));
            changed = true;
        }
        ControlFlow::<()>::Continue(())
    });
    changed
}

impl VisitorMut for Inliner {
    type Break = ();

    fn pre_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        let found = select.projection.iter().position(|item| {
            matches!(item, SelectItem::ExprWithAlias { alias, .. } if alias.value.to_lowercase() == self.name)
        });
        let Some(index) = found else {
            return ControlFlow::Continue(());
        };
        let SelectItem::ExprWithAlias { expr, .. } = &select.projection[index] else {
            return ControlFlow::Continue(());
        };
        let definition = expr.clone();
        for item in select.projection.iter_mut().skip(index + 1) {
            let expr = match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                _ => continue,
            };
            self.changed |= replace_in(expr, &self.name, &definition);
        }
        if let Some(selection) = &mut select.selection {
            self.changed |= replace_in(selection, &self.name, &definition);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redshift::dialect::RedshiftDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn inlines_a_later_use_and_where() {
        let mut s = Parser::parse_sql(
            &RedshiftDialect,
            "select a * 2 as b, b + 1 as c from t where b > 0",
        )
        .unwrap()
        .remove(0);
        assert!(inline_alias(&mut s, "b"));
        assert_eq!(
            s.to_string(),
            "SELECT a * 2 AS b, (a * 2) + 1 AS c FROM t WHERE (a * 2) > 0"
        );
    }
}
