//! Stored JSON written before the API settled on one naming style.
//!
//! Change reports and findings are stored as JSON text exactly as the rules engine serialised
//! them at deploy time. Until engine `+rules.3` the engine wrote snake_case member names
//! (`rules_before`, `end_line`); the API is camelCase throughout. Rewriting old rows would touch
//! every version ever deployed, so the names are converted as the rows are read instead: the
//! stored text stays what was written, and every answer uses one style.

use serde_json::Value;

/// The value with every object member name in camelCase (`rules_before` becomes `rulesBefore`);
/// names without an underscore are unchanged. Only member names change, never values.
pub(crate) fn camel_case_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (camel_case(&key), camel_case_keys(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(camel_case_keys).collect()),
        other => other,
    }
}

fn camel_case(name: &str) -> String {
    if !name.contains('_') {
        return name.to_string();
    }
    let mut out = String::with_capacity(name.len());
    let mut upper_next = false;
    for c in name.chars() {
        if c == '_' {
            upper_next = !out.is_empty();
        } else if upper_next {
            out.extend(c.to_uppercase());
            upper_next = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renames_members_at_every_depth_and_leaves_values_alone() {
        let old = json!({
            "rules_before": ["HAS_REMOTES"],
            "changes": [{"end_line": 3, "area": "egress", "description": "a_b"}],
            "changes_omitted": 0,
            "major": true
        });
        assert_eq!(
            camel_case_keys(old),
            json!({
                "rulesBefore": ["HAS_REMOTES"],
                "changes": [{"endLine": 3, "area": "egress", "description": "a_b"}],
                "changesOmitted": 0,
                "major": true
            })
        );
    }

    #[test]
    fn camel_case_names_stay_as_they_are() {
        let new = json!({"rulesBefore": [], "inScopeEud": true});
        assert_eq!(camel_case_keys(new.clone()), new);
    }
}
