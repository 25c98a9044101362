//! Compares a response with a golden one recorded from the reference, where
//! ids and timestamps are placeholders: `{timestamp}` matches any ISO-8601
//! time with an offset, `{id:LABEL}` binds a UUID to a label the first time
//! and must equal it afterwards.
use serde_json::Value;
use std::collections::HashMap;

pub type Bindings = HashMap<String, String>;

fn is_timestamp(text: &str) -> bool {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).is_ok()
        && (text.ends_with("+00:00") || text.ends_with('Z'))
}

/// `Err` names the first path where the two differ.
pub fn matches(expected: &Value, actual: &Value, bindings: &mut Bindings, path: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::String(e), Value::String(a)) if e == "{timestamp}" => {
            is_timestamp(a).then_some(()).ok_or_else(|| format!("{path}: {a:?} is not an ISO-8601 timestamp"))
        }
        (Value::String(e), Value::String(a)) if e.starts_with("{id") && e.ends_with('}') => {
            let label = e.trim_start_matches("{id").trim_start_matches(':').trim_end_matches('}').to_owned();
            uuid::Uuid::parse_str(a).map_err(|_| format!("{path}: {a:?} is not a UUID"))?;
            match bindings.get(&label) {
                Some(bound) if bound != a => Err(format!("{path}: id {a} but {{id:{label}}} is {bound}")),
                Some(_) => Ok(()),
                None => {
                    bindings.insert(label, a.clone());
                    Ok(())
                }
            }
        }
        (Value::Object(e), Value::Object(a)) => {
            let mut expected_keys: Vec<_> = e.keys().collect();
            let mut actual_keys: Vec<_> = a.keys().collect();
            expected_keys.sort();
            actual_keys.sort();
            if expected_keys != actual_keys {
                return Err(format!("{path}: keys {expected_keys:?} expected, got {actual_keys:?}"));
            }
            e.iter().try_for_each(|(k, v)| matches(v, &a[k], bindings, &format!("{path}.{k}")))
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                return Err(format!("{path}: {} items expected, got {}: {actual}", e.len(), a.len()));
            }
            e.iter()
                .zip(a)
                .enumerate()
                .try_for_each(|(i, (e, a))| matches(e, a, bindings, &format!("{path}[{i}]")))
        }
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("{path}: expected {e}, got {a}")),
    }
}
