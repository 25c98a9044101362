//! The parser's side of a field declaration: a model's parser asks the
//! `Checker` for each declared field, which applies the field's presence
//! rules (required, `null`, default) and its kind's limits, and reports
//! problems at the field's own `loc`.
use crate::LocItem;
use crate::fields::{Field, Kind, Preset};
use crate::lax::{Checker, at};
use patchbay_domain::ParseError;
use serde_json::{Map, Value};

/// What a body holds for a field once absence and `null` are settled.
enum Slot<'v> {
    Given(&'v Value),
    /// Absent (or `null` where the field allows it): the default, if any.
    Empty(Option<Preset>),
    /// Absent and required: already reported.
    Missing,
}

/// A list field's items, checked one by one by the caller.
pub(crate) struct Items<'v> {
    /// The list's own `loc`.
    pub loc: Vec<LocItem>,
    pub values: &'v [Value],
    /// What each item must be.
    pub kind: &'static Kind,
}

impl<'v> Items<'v> {
    /// Each item with its `loc`.
    pub(crate) fn each(&self) -> impl Iterator<Item = (Vec<LocItem>, &'v Value)> + '_ {
        self.values.iter().enumerate().map(|(i, value)| (at(&self.loc, i), value))
    }
}

/// Each method returns `None` when it reported a problem, `Some(None)` for
/// a field that is absent without a default (or `null` where allowed), and
/// `Some(Some(value))` otherwise.
impl Checker {
    fn slot<'v>(&mut self, loc: &[LocItem], fields: &'v Map<String, Value>, field: &Field) -> Slot<'v> {
        match fields.get(field.name) {
            None if field.required => {
                self.missing(at(loc, field.name), fields);
                Slot::Missing
            }
            None => Slot::Empty(field.default),
            Some(Value::Null) if field.nullable => Slot::Empty(None),
            Some(value) => Slot::Given(value),
        }
    }

    /// A field with a value of its own type: `check` reads a given value
    /// at the field's `loc`, `preset` turns the declared default into one
    /// (`None` when the default is of another type, a declaration's bug).
    fn typed<T>(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
        preset: fn(Preset) -> Option<T>,
        check: impl FnOnce(&mut Self, Vec<LocItem>, &Value) -> Option<T>,
    ) -> Option<Option<T>> {
        match self.slot(loc, fields, field) {
            Slot::Given(value) => check(self, at(loc, field.name), value).map(Some),
            Slot::Empty(None) => Some(None),
            Slot::Empty(Some(default)) => match preset(default) {
                Some(value) => Some(Some(value)),
                None => panic!("{}: the default {default:?} is no {:?}", field.name, field.kind),
            },
            Slot::Missing => None,
        }
    }

    /// A string field (`Kind::Str`) within its length limits.
    pub(crate) fn text_field(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
    ) -> Option<Option<String>> {
        let preset = |default| if let Preset::Str(text) = default { Some(text.to_owned()) } else { None };
        self.typed(loc, fields, field, preset, |checker, loc, value| checker.text(&loc, value, &field.kind))
    }

    /// A string of `kind` (a `Kind::Str`) at `loc`: a field's value or a
    /// list's item.
    pub(crate) fn text(&mut self, loc: &[LocItem], value: &Value, kind: &Kind) -> Option<String> {
        let Kind::Str { min, max, pattern: _ } = *kind else { panic!("{loc:?}: {kind:?} is no string") };
        self.bounded_string(loc, value, min, max.unwrap_or(usize::MAX))
    }

    /// An integer field (`Kind::Int`) within its bounds, reported as
    /// Pydantic's `greater_than_equal` / `less_than_equal`.
    pub(crate) fn int_field(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
    ) -> Option<Option<i64>> {
        let Kind::Int { min, max } = field.kind else {
            panic!("{}: {:?} is no integer", field.name, field.kind)
        };
        let preset = |default| if let Preset::Int(number) = default { Some(number) } else { None };
        self.typed(loc, fields, field, preset, |checker, loc, value| {
            let number = checker.int(&loc, value)?;
            let outside = if number < min {
                ParseError::TooSmall { min }
            } else if number > max {
                ParseError::TooLarge { max }
            } else {
                return Some(number);
            };
            checker.domain(loc, value.clone(), outside);
            None
        })
    }

    /// A boolean field (`Kind::Bool`) with Pydantic's lax coercions.
    pub(crate) fn bool_field(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
    ) -> Option<Option<bool>> {
        let preset = |default| if let Preset::Bool(flag) = default { Some(flag) } else { None };
        self.typed(loc, fields, field, preset, |checker, loc, value| checker.bool(&loc, value))
    }

    /// A list field (`Kind::List`) of at most its maximum of items, which
    /// the caller checks one by one.
    pub(crate) fn list_field<'v>(
        &mut self,
        loc: &[LocItem],
        fields: &'v Map<String, Value>,
        field: &Field,
    ) -> Option<Option<Items<'v>>> {
        let Kind::List { items: kind, max } = field.kind else {
            panic!("{}: {:?} is no list", field.name, field.kind)
        };
        let Some(value) = self.given(loc, fields, field)? else { return Some(None) };
        let loc = at(loc, field.name);
        let values = self.list(&loc, value)?;
        let within = max.is_none_or(|max| self.at_most(&loc, value, values.len(), max, "List"));
        within.then_some(Some(Items { loc, values, kind }))
    }

    /// A dictionary field (`Kind::Map`) of at most its maximum of entries,
    /// which the caller checks one by one.
    pub(crate) fn map_field<'v>(
        &mut self,
        loc: &[LocItem],
        fields: &'v Map<String, Value>,
        field: &Field,
    ) -> Option<Option<&'v Map<String, Value>>> {
        let Kind::Map { max, .. } = field.kind else {
            panic!("{}: {:?} is no dictionary", field.name, field.kind)
        };
        let Some(value) = self.given(loc, fields, field)? else { return Some(None) };
        let loc = at(loc, field.name);
        let entries = self.dict(&loc, value)?;
        self.at_most(&loc, value, entries.len(), max, "Dictionary").then_some(Some(entries))
    }

    /// A field holding another component (`Kind::Ref`), handed to that
    /// component's parser as it is.
    pub(crate) fn ref_field<'v>(
        &mut self,
        loc: &[LocItem],
        fields: &'v Map<String, Value>,
        field: &Field,
    ) -> Option<Option<&'v Value>> {
        let Kind::Ref(_) = field.kind else { panic!("{}: {:?} is no component", field.name, field.kind) };
        self.given(loc, fields, field)
    }

    /// The value of a field whose kind declares no default.
    fn given<'v>(
        &mut self,
        loc: &[LocItem],
        fields: &'v Map<String, Value>,
        field: &Field,
    ) -> Option<Option<&'v Value>> {
        match self.slot(loc, fields, field) {
            Slot::Given(value) => Some(Some(value)),
            Slot::Empty(None) => Some(None),
            Slot::Empty(Some(preset)) => {
                panic!("{}: a {:?} has no default ({preset:?})", field.name, field.kind)
            }
            Slot::Missing => None,
        }
    }
}
