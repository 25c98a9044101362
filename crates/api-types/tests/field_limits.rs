//! Walks every declared field of the request models and checks that the
//! parser does what the declaration (and so the JSON schema) says: a
//! required field missing, `null` where it is or is not allowed, the
//! default given explicitly, and each limit at its boundary and one past it.
use patchbay_api_types::fields::{Field, Kind, Model, Preset};
use patchbay_api_types::models::MODELS;
use patchbay_api_types::{FieldError, LocItem, parse_create_request, parse_update_request};
use serde_json::{Map, Value, json};

/// Where a model's instance sits in a whole request body.
struct Host {
    /// A body holding `instance`.
    embed: fn(Value) -> Value,
    parse: fn(&Value) -> Result<(), Vec<FieldError>>,
    /// The instance's `loc` in a 422.
    loc: &'static [&'static str],
}

fn create(body: &Value) -> Result<(), Vec<FieldError>> {
    parse_create_request(body).map(drop)
}

fn host(model: &Model) -> Host {
    let with_config = |config: Value| json!({"name": "n", "integration_type": "t", "config": config});
    match model.name {
        "CreateCustomIntegrationRequest" => Host { embed: |body| body, parse: create, loc: &["body"] },
        "UpdateCustomIntegrationRequest" => {
            Host { embed: |body| body, parse: |body| parse_update_request(body).map(drop), loc: &["body"] }
        }
        "CustomIntegrationConfig" => Host { embed: with_config, parse: create, loc: &["body", "config"] },
        "FileConfig" => Host {
            embed: |file| json!({"name": "n", "integration_type": "t", "config": {"files": [file]}}),
            parse: create,
            loc: &["body", "config", "files", "0"],
        },
        "ConnectionTest" => Host {
            embed: |test| json!({"name": "n", "integration_type": "t", "config": {"connection_test": test}}),
            parse: create,
            loc: &["body", "config", "connection_test"],
        },
        "DynamicCredential" => Host {
            embed: |entry| json!({"name": "n", "integration_type": "t", "config": {"dynamic_credentials": [entry]}}),
            parse: create,
            loc: &["body", "config", "dynamic_credentials", "0"],
        },
        "DynamicCredentialEnv" => Host {
            embed: |env| {
                let entry = json!({"provider": "pg", "role": "ro", "env": env});
                json!({"name": "n", "integration_type": "t", "config": {"dynamic_credentials": [entry]}})
            },
            parse: create,
            loc: &["body", "config", "dynamic_credentials", "0", "env"],
        },
        other => panic!("{other} is declared but this test does not know where it sits in a body"),
    }
}

fn model(name: &str) -> &'static Model {
    MODELS.iter().find(|model| model.name == name).unwrap_or_else(|| panic!("{name} is not declared"))
}

/// A valid value of `kind`; `i` tells list items and map keys apart.
fn sample(kind: &Kind, i: usize) -> Value {
    match *kind {
        // Lower case: provider and role names allow nothing else.
        Kind::Str { min, .. } => json!(format!("v{i}") + &"a".repeat(min)),
        Kind::Int { min, .. } => json!(min),
        Kind::Bool => json!(true),
        Kind::List { .. } => json!([]),
        Kind::Map { .. } => json!({}),
        Kind::Ref(name) => minimal(model(name)),
    }
}

/// An instance with only the required fields, each a valid sample.
fn minimal(model: &Model) -> Value {
    let mut fields: Map<String, Value> = model
        .fields
        .iter()
        .filter(|field| field.required)
        .map(|field| (field.name.to_owned(), sample(&field.kind, 0)))
        .collect();
    // A rule over the model, not a field: at least one of its two names
    // (both here, so a test may null either), and two different ones.
    if model.name == "DynamicCredentialEnv" {
        fields.insert("username".into(), json!("USER"));
        fields.insert("password".into(), json!("PASS"));
    }
    Value::Object(fields)
}

/// The values at each limit of `kind`, and one past each, with the error
/// type the one past must give.
fn limits(kind: &Kind) -> Vec<(Value, Value, &'static str)> {
    let text = |n: usize| json!("a".repeat(n));
    let items = |item: &Kind, n: usize| json!((0..n).map(|i| sample(item, i)).collect::<Vec<_>>());
    let entries = |n: usize| {
        Value::Object((0..n).map(|i| (format!("V{i}"), json!("x"))).collect::<Map<String, Value>>())
    };
    let mut cases = Vec::new();
    match *kind {
        Kind::Str { min, max, .. } => {
            if min > 0 {
                cases.push((text(min), text(min - 1), "string_too_short"));
            }
            if let Some(max) = max {
                cases.push((text(max), text(max + 1), "string_too_long"));
            }
        }
        Kind::Int { min, max } => {
            cases.push((json!(min), json!(min - 1), "greater_than_equal"));
            cases.push((json!(max), json!(max + 1), "less_than_equal"));
        }
        Kind::List { items: item, max: Some(max) } => {
            cases.push((items(item, max), items(item, max + 1), "too_long"))
        }
        Kind::Map { max, .. } => cases.push((entries(max), entries(max + 1), "too_long")),
        Kind::Bool | Kind::List { max: None, .. } | Kind::Ref(_) => {}
    }
    cases
}

/// What a case does to the field in the minimal instance.
#[derive(Debug, Clone)]
enum Change {
    Keep,
    Remove,
    Set(Value),
}

struct Subject<'m> {
    model: &'m Model,
    field: &'m Field,
    host: Host,
}

impl Subject<'_> {
    fn parse_with(&self, change: Change) -> Result<(), Vec<FieldError>> {
        let mut instance = minimal(self.model);
        match change {
            Change::Keep => {}
            Change::Remove => drop(instance.as_object_mut().unwrap().shift_remove(self.field.name)),
            Change::Set(value) => instance[self.field.name] = value,
        }
        (self.host.parse)(&(self.host.embed)(instance))
    }

    fn loc(&self) -> Vec<LocItem> {
        let step = |s: &&str| s.parse::<usize>().map(LocItem::from).unwrap_or_else(|_| LocItem::from(*s));
        self.host.loc.iter().map(step).chain([LocItem::from(self.field.name)]).collect()
    }

    fn accepts(&self, change: Change, why: &str) {
        let name = format!("{}.{}", self.model.name, self.field.name);
        if let Err(errors) = self.parse_with(change.clone()) {
            panic!("{name}: {why}: {change:?} was refused: {errors:#?}");
        }
    }

    /// Refused with exactly one error, of type `kind`, at the field.
    fn refuses(&self, change: Change, kind: &str, why: &str) {
        let name = format!("{}.{}", self.model.name, self.field.name);
        let errors = match self.parse_with(change.clone()) {
            Ok(()) => panic!("{name}: {why}: {change:?} was accepted"),
            Err(errors) => errors,
        };
        let at_field: Vec<&FieldError> = errors.iter().filter(|e| e.loc == self.loc()).collect();
        assert!(
            errors.len() == 1 && at_field.len() == 1 && at_field[0].kind == kind,
            "{name}: {why}: expected one {kind} at {:?}, got {errors:#?}",
            self.loc()
        );
    }
}

#[test]
fn every_declared_field_is_parsed_as_declared() {
    let mut checked = 0;
    for model in &MODELS {
        for field in model.fields {
            let subject = Subject { model, field, host: host(model) };
            subject.accepts(Change::Keep, "the instance with only required fields");
            if field.required {
                subject.refuses(Change::Remove, "missing", "a required field absent");
            }
            if field.nullable {
                subject.accepts(Change::Set(Value::Null), "null on a nullable field");
            } else if !matches!(field.kind, Kind::Ref(_)) || field.required {
                let null_kind = match field.kind {
                    Kind::Str { .. } => "string_type",
                    Kind::Int { .. } => "int_type",
                    Kind::Bool => "bool_type",
                    Kind::List { .. } => "list_type",
                    Kind::Map { .. } => "dict_type",
                    Kind::Ref(_) => "model_attributes_type",
                };
                subject.refuses(Change::Set(Value::Null), null_kind, "null on a field that is not nullable");
            }
            if let Some(preset) = field.default {
                let given = match preset {
                    Preset::Bool(b) => json!(b),
                    Preset::Int(i) => json!(i),
                    Preset::Str(s) => json!(s),
                };
                subject.accepts(Change::Set(given), "the declared default, given explicitly");
            }
            for (at_limit, past, kind) in limits(&field.kind) {
                subject.accepts(Change::Set(at_limit), "a value at the limit");
                subject.refuses(Change::Set(past), kind, "a value one past the limit");
                checked += 1;
            }
        }
    }
    // name and integration_type in create and update (min and max each),
    // path, timeout (both ends), env_vars, secrets, files: a limit that
    // stops being declared shows up here; then dynamic_credentials (its
    // length; provider and role, min and max; ttl_seconds, both ends; the
    // env's username and password, non-empty); then the test's
    // interval_seconds, both ends.
    assert_eq!(checked, 14 + 9 + 2, "number of limits walked");
}
