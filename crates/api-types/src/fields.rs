//! How a request model's fields are declared: name, JSON type and limits,
//! title, description, default, and whether a field is required or may be
//! `null`. Each field is declared once (`crate::models`); the parser reads
//! the declaration through `Checker` (`field_check`) and the JSON schema is
//! generated from it here, so a limit cannot differ between the two.
use serde_json::{Map, Value, json};

/// A field's JSON type and the limits the parser enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string of `min..=max` characters (code points, as Python counts
    /// them); `max: None` is unbounded. `pattern` is the pattern of the
    /// domain type the parser builds from the string: that type's `parse`
    /// is what enforces it.
    Str {
        min: usize,
        max: Option<usize>,
        pattern: Option<&'static str>,
    },
    /// A whole number in `min..=max`.
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// A list of `items`, at most `max` of them.
    List {
        items: &'static Kind,
        max: Option<usize>,
    },
    /// An object of string values, at most `max` entries, whose keys match
    /// `keys` (the pattern of the domain type the keys become).
    Map {
        keys: &'static str,
        max: usize,
    },
    /// Another component of the document (a nested model or an enum),
    /// checked by the parser of that component.
    Ref(&'static str),
}

/// Any string: no length limit, no pattern.
pub const TEXT: Kind = Kind::Str { min: 0, max: None, pattern: None };

/// What an absent field becomes, shown as the schema's `default`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    Bool(bool),
    Int(i64),
    Str(&'static str),
}

impl Preset {
    fn json(self) -> Value {
        match self {
            Self::Bool(b) => json!(b),
            Self::Int(i) => json!(i),
            Self::Str(s) => json!(s),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    /// `None` where the reference's schema has none (its references to
    /// other models carry no title).
    pub title: Option<&'static str>,
    pub description: Option<&'static str>,
    pub kind: Kind,
    /// Absent is an error (`missing`).
    pub required: bool,
    /// `null` is accepted and means the same as absent without a default.
    pub nullable: bool,
    pub default: Option<Preset>,
}

impl Field {
    /// An optional, non-nullable field without title or default; the
    /// builders below add the rest, so a declaration reads as one sentence.
    pub const fn new(name: &'static str, kind: Kind) -> Self {
        Self { name, title: None, description: None, kind, required: false, nullable: false, default: None }
    }

    pub const fn title(self, title: &'static str) -> Self {
        Self { title: Some(title), ..self }
    }

    pub const fn description(self, description: &'static str) -> Self {
        Self { description: Some(description), ..self }
    }

    pub const fn required(self) -> Self {
        Self { required: true, ..self }
    }

    pub const fn nullable(self) -> Self {
        Self { nullable: true, ..self }
    }

    pub const fn default(self, preset: Preset) -> Self {
        Self { default: Some(preset), ..self }
    }

    /// The property's schema. Key order is the reference's: the type and
    /// its limits, then title, description and default; an integer's
    /// bounds are Patchbay's additions and come last.
    pub fn schema(&self) -> Value {
        let base = Value::Object(self.kind.schema());
        let mut schema = if self.nullable { json!({"anyOf": [base, {"type": "null"}]}) } else { base };
        if let Some(title) = self.title {
            schema["title"] = json!(title);
        }
        if let Some(description) = self.description {
            schema["description"] = json!(description);
        }
        if let Some(preset) = self.default {
            schema["default"] = preset.json();
        }
        if let Kind::Int { min, max } = self.kind {
            schema["minimum"] = json!(min);
            schema["maximum"] = json!(max);
        }
        schema
    }
}

impl Kind {
    fn schema(&self) -> Map<String, Value> {
        let mut schema = Map::new();
        match *self {
            Self::Str { min, max, pattern } => {
                schema.insert("type".into(), json!("string"));
                if let Some(max) = max {
                    schema.insert("maxLength".into(), json!(max));
                }
                if min > 0 {
                    schema.insert("minLength".into(), json!(min));
                }
                if let Some(pattern) = pattern {
                    schema.insert("pattern".into(), json!(pattern));
                }
            }
            Self::Int { .. } => {
                schema.insert("type".into(), json!("integer"));
            }
            Self::Bool => {
                schema.insert("type".into(), json!("boolean"));
            }
            Self::List { items, max } => {
                schema.insert("items".into(), Value::Object(items.schema()));
                if let Some(max) = max {
                    schema.insert("maxItems".into(), json!(max));
                }
                schema.insert("type".into(), json!("array"));
            }
            Self::Map { keys, max } => {
                schema.insert("additionalProperties".into(), json!({"type": "string"}));
                schema.insert("propertyNames".into(), json!({"pattern": keys}));
                schema.insert("maxProperties".into(), json!(max));
                schema.insert("type".into(), json!("object"));
            }
            Self::Ref(name) => {
                schema.insert("$ref".into(), json!(format!("#/components/schemas/{name}")));
            }
        }
        schema
    }
}

/// A request model: a component of the document, its fields in the
/// reference's order (which is also the order of a 422's error list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Model {
    /// The component's name, which is also its title.
    pub name: &'static str,
    pub description: &'static str,
    pub fields: &'static [Field],
}

impl Model {
    pub fn schema(&self) -> Value {
        let properties: Map<String, Value> =
            self.fields.iter().map(|field| (field.name.to_owned(), field.schema())).collect();
        let required: Vec<&str> =
            self.fields.iter().filter(|field| field.required).map(|field| field.name).collect();
        let mut schema = json!({"properties": properties, "type": "object"});
        if !required.is_empty() {
            schema["required"] = json!(required);
        }
        schema["title"] = json!(self.name);
        schema["description"] = json!(self.description);
        schema
    }
}
