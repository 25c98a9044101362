//! Query strings, validated like FastAPI's `Query(...)` parameters: the
//! last of repeated keys wins, errors carry `loc: ["query", name]`.
use patchbay_api_types::{Checker, FieldError, LocItem};
use patchbay_domain::{IntegrationStatus, ListFilter};
use serde_json::Value;

pub const LIST_LIMIT_MAX: i64 = 1000;

/// The query's parameters, last value of each name.
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    pub fn parse(raw: Option<&str>) -> Self {
        Self(form_urlencoded::parse(raw.unwrap_or("").as_bytes()).into_owned().collect())
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().rev().find(|(key, _)| key == name).map(|(_, value)| value.as_str())
    }
}

fn loc(name: &str) -> Vec<LocItem> {
    vec!["query".into(), name.into()]
}

/// A bounded integer parameter (`limit`, `offset`).
pub(crate) fn bounded_int(
    checker: &mut Checker,
    name: &str,
    raw: &str,
    min: i64,
    max: Option<i64>,
) -> Option<u32> {
    let input = Value::String(raw.to_owned());
    let value = checker.int(&loc(name), &input)?;
    if value < min {
        checker.domain(loc(name), input, patchbay_domain::ParseError::TooSmall { min });
        return None;
    }
    if let Some(max) = max.filter(|max| value > *max) {
        checker.domain(loc(name), input, patchbay_domain::ParseError::TooLarge { max });
        return None;
    }
    Some(u32::try_from(value).unwrap_or(u32::MAX))
}

/// `GET /custom-integrations`: `integration_type`, `status`, `tags`, then
/// Patchbay's `q`, `limit`, `offset`. Empty `integration_type`, `tags` and
/// `q` mean no filter; `tags` is split on commas and each item trimmed.
pub fn list_filter(params: &QueryParams) -> Result<ListFilter, Vec<FieldError>> {
    let mut checker = Checker::new();
    let integration_type = params.get("integration_type").filter(|t| !t.is_empty()).map(str::to_owned);
    let status = params.get("status").and_then(|raw| {
        let status = IntegrationStatus::parse(raw);
        if status.is_none() {
            let allowed = IntegrationStatus::ALL.map(IntegrationStatus::as_str);
            checker.push(FieldError::enumeration(loc("status"), &allowed, Value::String(raw.to_owned())));
        }
        status
    });
    let tags = params
        .get("tags")
        .filter(|t| !t.is_empty())
        .map(|t| t.split(',').map(|tag| tag.trim().to_owned()).collect())
        .unwrap_or_default();
    let query = params.get("q").filter(|q| !q.is_empty()).map(str::to_owned);
    let limit =
        params.get("limit").map(|raw| bounded_int(&mut checker, "limit", raw, 1, Some(LIST_LIMIT_MAX)));
    let offset = params.get("offset").map(|raw| bounded_int(&mut checker, "offset", raw, 0, None));
    checker.finish(|| ListFilter {
        integration_type,
        status,
        tags,
        query,
        limit: limit.flatten(),
        offset: offset.flatten().unwrap_or(0),
    })
}

/// `DELETE ...?hard_delete=`: Pydantic's boolean forms.
pub fn hard_delete(params: &QueryParams) -> Result<bool, Vec<FieldError>> {
    match params.get("hard_delete") {
        None => Ok(false),
        Some(raw) => patchbay_api_types::parse_bool_str(raw).ok_or_else(|| {
            vec![FieldError::new(
                "bool_parsing",
                loc("hard_delete"),
                "Input should be a valid boolean, unable to interpret input",
                Value::String(raw.to_owned()),
            )]
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(raw: &str) -> Result<ListFilter, Vec<FieldError>> {
        list_filter(&QueryParams::parse(Some(raw)))
    }

    #[test]
    fn tags_are_split_and_trimmed() {
        assert_eq!(filter("tags=%20a%20,b").unwrap().tags, ["a", "b"]);
        assert_eq!(filter("tags=a,").unwrap().tags, ["a", ""]);
        assert!(filter("tags=").unwrap().tags.is_empty());
    }

    #[test]
    fn status_must_be_lower_case() {
        assert_eq!(filter("status=inactive").unwrap().status, Some(IntegrationStatus::Inactive));
        for bad in ["status=ACTIVE", "status=", "status=bogus"] {
            let errors = filter(bad).unwrap_err();
            assert_eq!(errors[0].kind, "enum", "{bad}");
        }
    }

    #[test]
    fn paging_is_bounded() {
        assert_eq!(filter("limit=10&offset=5").unwrap().limit, Some(10));
        assert_eq!(filter("limit=0").unwrap_err()[0].kind, "greater_than_equal");
        assert_eq!(filter("limit=1001").unwrap_err()[0].kind, "less_than_equal");
        assert_eq!(filter("offset=-1").unwrap_err()[0].kind, "greater_than_equal");
        assert_eq!(filter("limit=x").unwrap_err()[0].kind, "int_parsing");
    }

    #[test]
    fn last_repeated_value_wins() {
        assert_eq!(filter("status=bogus&status=active").unwrap().status, Some(IntegrationStatus::Active));
    }

    #[test]
    fn hard_delete_takes_boolean_forms() {
        let parse = |raw: &str| hard_delete(&QueryParams::parse(Some(raw)));
        assert_eq!(parse("hard_delete=yes"), Ok(true));
        assert_eq!(parse("hard_delete=0"), Ok(false));
        assert_eq!(parse(""), Ok(false));
        assert_eq!(parse("hard_delete=maybe").unwrap_err()[0].kind, "bool_parsing");
    }
}
