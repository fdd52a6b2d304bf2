//! sqlparser's Redshift dialect, with what Redshift accepts that it does not: any date part
//! word in `EXTRACT` (`extract(ms from ts)`, `extract(mil from ts)`), the prefix operators
//! `|/` (square root), `||/` (cube root) and `@` (absolute value), and `APPROXIMATE` before
//! `COUNT(DISTINCT ...)`. Everything else is the Redshift dialect's own answer, and the
//! parser still sees a Redshift dialect.

use std::any::TypeId;
use std::iter::Peekable;
use std::str::Chars;

use datafusion::sql::sqlparser::ast::{Expr, UnaryOperator};
use datafusion::sql::sqlparser::dialect::{Dialect, Precedence, RedshiftSqlDialect};
use datafusion::sql::sqlparser::parser::{Parser, ParserError};
use datafusion::sql::sqlparser::tokenizer::Token;

#[derive(Debug, Default, Clone, Copy)]
pub struct RedshiftDialect;

const INNER: RedshiftSqlDialect = RedshiftSqlDialect {};

impl Dialect for RedshiftDialect {
    fn dialect(&self) -> TypeId {
        TypeId::of::<RedshiftSqlDialect>()
    }

    fn allow_extract_custom(&self) -> bool {
        true
    }

    fn parse_prefix(&self, parser: &mut Parser) -> Option<Result<Expr, ParserError>> {
        let op = match &parser.peek_token_ref().token {
            Token::PGSquareRoot => UnaryOperator::PGSquareRoot,
            Token::PGCubeRoot => UnaryOperator::PGCubeRoot,
            Token::AtSign => UnaryOperator::PGAbs,
            // `APPROXIMATE COUNT(DISTINCT x)`: Redshift estimates the count with HyperLogLog;
            // the count of a sample is computed exactly, which the estimate approximates.
            Token::Word(w)
                if w.value.eq_ignore_ascii_case("approximate")
                    && matches!(
                        &parser.peek_nth_token_ref(1).token,
                        Token::Word(next) if next.value.eq_ignore_ascii_case("count")
                    ) =>
            {
                parser.next_token();
                return Some(parser.parse_prefix());
            }
            _ => return None,
        };
        parser.next_token();
        let precedence = self.prec_value(Precedence::PlusMinus);
        Some(parser.parse_subexpr(precedence).map(|expr| Expr::UnaryOp {
            op,
            expr: Box::new(expr),
        }))
    }

    fn is_nested_delimited_identifier_start(&self, ch: char) -> bool {
        INNER.is_nested_delimited_identifier_start(ch)
    }

    fn peek_nested_delimited_identifier_quotes(
        &self,
        chars: Peekable<Chars<'_>>,
    ) -> Option<(char, Option<char>)> {
        INNER.peek_nested_delimited_identifier_quotes(chars)
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        INNER.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        INNER.is_identifier_part(ch)
    }

    fn convert_type_before_value(&self) -> bool {
        INNER.convert_type_before_value()
    }

    fn supports_connect_by(&self) -> bool {
        INNER.supports_connect_by()
    }

    fn supports_top_before_distinct(&self) -> bool {
        INNER.supports_top_before_distinct()
    }

    fn supports_partiql(&self) -> bool {
        INNER.supports_partiql()
    }

    fn supports_string_escape_constant(&self) -> bool {
        INNER.supports_string_escape_constant()
    }

    fn supports_geometric_types(&self) -> bool {
        INNER.supports_geometric_types()
    }

    fn supports_bitwise_shift_operators(&self) -> bool {
        INNER.supports_bitwise_shift_operators()
    }

    fn supports_array_typedef_with_brackets(&self) -> bool {
        INNER.supports_array_typedef_with_brackets()
    }

    fn allow_extract_single_quotes(&self) -> bool {
        INNER.allow_extract_single_quotes()
    }

    fn supports_string_literal_backslash_escape(&self) -> bool {
        INNER.supports_string_literal_backslash_escape()
    }

    fn supports_select_wildcard_exclude(&self) -> bool {
        INNER.supports_select_wildcard_exclude()
    }

    fn supports_select_wildcard_with_alias(&self) -> bool {
        INNER.supports_select_wildcard_with_alias()
    }

    fn supports_select_exclude(&self) -> bool {
        INNER.supports_select_exclude()
    }

    fn supports_create_table_like_parenthesized(&self) -> bool {
        INNER.supports_create_table_like_parenthesized()
    }

    fn supports_string_literal_concatenation_with_newline(&self) -> bool {
        INNER.supports_string_literal_concatenation_with_newline()
    }

    fn supports_window_function_null_treatment_arg(&self) -> bool {
        INNER.supports_window_function_null_treatment_arg()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::sql::sqlparser::parser::Parser;

    #[test]
    fn redshift_prefix_operators_and_approximate_parse() {
        let parsed = Parser::parse_sql(
            &RedshiftDialect,
            "select |/ 25.0, ||/ 27.0, @ -5.0, approximate count(distinct x) from t",
        )
        .unwrap();
        assert_eq!(
            parsed[0].to_string(),
            "SELECT |/25.0, ||/27.0, @-5.0, count(DISTINCT x) FROM t"
        );
    }

    #[test]
    fn extract_takes_any_date_part_word() {
        let sql = "select extract(ms from ts), extract(mil from ts) from t";
        assert!(Parser::parse_sql(&RedshiftSqlDialect {}, sql).is_err());
        let parsed = Parser::parse_sql(&RedshiftDialect, sql).unwrap();
        assert_eq!(
            parsed[0].to_string(),
            "SELECT EXTRACT(ms FROM ts), EXTRACT(mil FROM ts) FROM t"
        );
    }
}
