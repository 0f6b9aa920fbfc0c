//! A guard against credentials reaching the store.
//!
//! API keys come from the environment and must never be stored. Callers are expected not to
//! pass them; this check is the safety net the store runs over model parameters, `meta` and
//! LLM requests before writing them.

use serde_json::Value;

/// Key names (lowercase, `-` read as `_`) that hold credentials.
const SECRET_KEYS: &[&str] = &[
    "api_key",
    "apikey",
    "authorization",
    "proxy_authorization",
    "x_api_key",
    "access_token",
    "bearer",
    "password",
    "secret",
    "client_secret",
];

/// The path (`a.b[2].c`) of the first object key in `value` that names a credential and holds
/// a non-empty value, if any.
#[must_use]
pub fn find_secret(value: &Value) -> Option<String> {
    let mut path = String::new();
    walk(value, &mut path)
}

fn walk(value: &Value, path: &mut String) -> Option<String> {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                let normalized = key.to_ascii_lowercase().replace('-', "_");
                let filled =
                    !matches!(inner, Value::Null) && inner.as_str().is_none_or(|s| !s.is_empty());
                if filled && SECRET_KEYS.contains(&normalized.as_str()) {
                    return Some(path.clone());
                }
                if let Some(found) = walk(inner, path) {
                    return Some(found);
                }
                path.truncate(len);
            }
            None
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                if let Some(found) = walk(inner, path) {
                    return Some(found);
                }
                path.truncate(len);
            }
            None
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::find_secret;

    #[test]
    fn finds_keys_that_hold_credentials() {
        assert_eq!(
            find_secret(&json!({"temperature": 0.2, "max_tokens": 9})),
            None
        );
        assert_eq!(
            find_secret(&json!({"headers": {"Authorization": "Bearer x"}})),
            Some("headers.Authorization".into())
        );
        assert_eq!(
            find_secret(&json!({"list": [{}, {"API-KEY": "k"}]})),
            Some("list[1].API-KEY".into())
        );
        assert_eq!(find_secret(&json!({"api_key": null, "password": ""})), None);
    }
}
