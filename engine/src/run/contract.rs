//! dbt's model contracts: a table whose `contract: {enforced: true}` is set must output
//! exactly the columns its YAML declares, each with its declared type, or dbt refuses to build
//! it. The check says which column is missing, extra or of another type, at its YAML line.

use crate::diagnostic::{Code, Diagnostic, Location};
use crate::project::{ColumnDoc, Node};

/// A Redshift type's family, the level at which the contract's types are compared: sizes,
/// precisions and widths aside. Integer widths count as one, and so do exact and floating
/// numbers, because the engine types literals more widely than Redshift does (`1` is a
/// bigint here and an integer there, `2.5` a double here and a numeric there): a narrower
/// comparison would refuse contracts that Redshift accepts.
fn family(data_type: &str) -> &'static str {
    let t = data_type.trim().to_lowercase();
    let base = t.split('(').next().unwrap_or(&t).trim().to_string();
    match base.as_str() {
        "int" | "int2" | "int4" | "int8" | "integer" | "smallint" | "bigint" => "integer",
        "numeric" | "decimal" | "float" | "float4" | "float8" | "real" | "double precision" => {
            "number"
        }
        "varchar" | "character varying" | "text" | "nvarchar" | "string" | "char" | "character"
        | "nchar" | "bpchar" => "varchar",
        "bool" | "boolean" => "boolean",
        "date" => "date",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "time" | "time without time zone" => "time",
        "timetz" | "time with time zone" => "timetz",
        "super" => "super",
        _ => "other",
    }
}

/// What breaks `node`'s contract, given the columns the check planned (name, Redshift type).
pub fn check(
    node: &Node,
    planned: &[(String, String)],
    text_of: &dyn Fn(&str) -> String,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at_node = || Location::file(&node.path);
    let error = |at: Location, message: String| {
        let text = text_of(&at.file);
        Diagnostic::error(Code::Config, at, message).with_source(&text)
    };
    let declared: &[ColumnDoc] = &node.columns;
    for column in declared {
        let found = planned
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&column.name));
        match (&column.data_type, found) {
            (None, _) => out.push(error(
                column.at.clone(),
                format!(
                    "column `{}` of `{}` has no data_type, which an enforced contract needs for every column",
                    column.name, node.name
                ),
            )),
            (Some(_), None) => out.push(error(
                column.at.clone(),
                format!(
                    "the contract of `{}` declares column `{}`, which the model does not output",
                    node.name, column.name
                ),
            )),
            // A type the comparison does not know is left to the warehouse.
            (Some(want), Some((_, got)))
                if family(want) != "other" && family(want) != family(got) =>
            {
                out.push(
                error(
                    column.at.clone(),
                    format!(
                        "the contract of `{}` declares `{}` as {want}, and the model outputs {got}",
                        node.name, column.name
                    ),
                )
                .with_hint(format!("cast it in the model: {}::{want}", column.name)),
                )
            }
            _ => {}
        }
    }
    for (name, got) in planned {
        if !declared.iter().any(|c| c.name.eq_ignore_ascii_case(name)) {
            out.push(error(
                at_node(),
                format!(
                    "`{}` outputs column `{name}` ({got}), which its enforced contract does not declare",
                    node.name
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_compare_as_dbt_compares_contract_types() {
        assert_eq!(family("INT"), family("integer"));
        assert_eq!(family("varchar(20)"), family("character varying(256)"));
        assert_eq!(family("numeric(10,2)"), family("decimal(38, 6)"));
        assert_eq!(family("integer"), family("bigint"));
        assert_ne!(family("integer"), family("varchar"));
        assert_ne!(family("timestamp"), family("timestamptz"));
    }
}
