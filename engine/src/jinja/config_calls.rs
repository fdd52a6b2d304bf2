//! Where a file's `{{ config(...) }}` calls set each key, read from minijinja's own lexer so
//! that a config problem can point at the key the user wrote: `materialized='tabel'` or
//! `{'materialized': 'tabel'}` alike.

use minijinja::machinery::{Token, tokenize};

/// Each key a `config(...)` call sets in `source`, with its byte offset, in file order.
/// A file the lexer cannot read gives the keys found before the fault (rendering reports
/// the fault itself).
pub fn config_keys(source: &str) -> Vec<(String, usize)> {
    let tokens: Vec<(Token<'_>, usize)> = tokenize(source, false, Default::default())
        .map_while(Result::ok)
        .map(|(t, span)| (t, span.start_offset as usize))
        .collect();
    let mut keys = Vec::new();
    let mut i = 0;
    while i + 1 < tokens.len() {
        let is_call = matches!(tokens[i].0, Token::Ident("config"))
            && matches!(tokens[i + 1].0, Token::ParenOpen)
            && (i == 0 || !matches!(tokens[i - 1].0, Token::Dot));
        if !is_call {
            i += 1;
            continue;
        }
        // Inside the call: `key=` at the call's own depth, `'key':` in a dict passed as an
        // argument (not as a keyword's value, as in `meta={'owner': ...}`).
        let mut depth = 1;
        let mut config_dict_at = None;
        let mut j = i + 2;
        while j < tokens.len() && depth > 0 {
            let (token, offset) = &tokens[j];
            let next = tokens.get(j + 1).map(|(t, _)| t);
            match token {
                Token::BraceOpen
                    if depth == 1 && !matches!(tokens[j - 1].0, Token::Assign | Token::Colon) =>
                {
                    depth += 1;
                    config_dict_at = Some(depth);
                }
                Token::ParenOpen | Token::BracketOpen | Token::BraceOpen => depth += 1,
                Token::ParenClose | Token::BracketClose | Token::BraceClose => {
                    if config_dict_at == Some(depth) {
                        config_dict_at = None;
                    }
                    depth -= 1;
                }
                Token::Ident(name) if depth == 1 && matches!(next, Some(Token::Assign)) => {
                    keys.push((name.to_string(), *offset));
                }
                Token::Str(name)
                    if config_dict_at == Some(depth) && matches!(next, Some(Token::Colon)) =>
                {
                    keys.push((name.to_string(), *offset));
                }
                _ => {}
            }
            j += 1;
        }
        i = j;
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(source: &str) -> Vec<(String, &str)> {
        config_keys(source)
            .into_iter()
            .map(|(k, at)| (k, &source[at..]))
            .map(|(k, rest)| (k, rest.split(['=', ':']).next().unwrap_or("")))
            .collect()
    }

    #[test]
    fn keyword_and_dict_forms() {
        let sql = "{{ config(materialized='table', sort=['a', 'b'], meta={'owner': 'x'}) }}\nselect 1\n{{ config({'schema': 'mart', \"tags\": ['t']}) }}";
        assert_eq!(
            keys(sql),
            vec![
                ("materialized".to_string(), "materialized"),
                ("sort".to_string(), "sort"),
                ("meta".to_string(), "meta"),
                ("schema".to_string(), "'schema'"),
                ("tags".to_string(), "\"tags\""),
            ]
        );
    }

    #[test]
    fn reads_of_config_are_not_calls() {
        let sql = "{% if config.get('materialized') == 'table' %}x{% endif %}{{ other(config=1) }}";
        assert!(config_keys(sql).is_empty());
    }

    #[test]
    fn a_broken_template_gives_what_came_before() {
        let sql = "{{ config(alias='a') }} {{ oops(";
        assert_eq!(keys(sql), vec![("alias".to_string(), "alias")]);
    }
}
