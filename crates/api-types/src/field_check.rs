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

    /// A string field (`Kind::Str`) within its length limits.
    pub(crate) fn text_field(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
    ) -> Option<Option<String>> {
        match self.slot(loc, fields, field) {
            Slot::Given(value) => self.text(&at(loc, field.name), value, &field.kind).map(Some),
            Slot::Empty(None) => Some(None),
            Slot::Empty(Some(Preset::Str(text))) => Some(Some(text.to_owned())),
            Slot::Empty(Some(preset)) => panic!("{}: {preset:?} is no string default", field.name),
            Slot::Missing => None,
        }
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
        let value = match self.slot(loc, fields, field) {
            Slot::Given(value) => value,
            Slot::Empty(None) => return Some(None),
            Slot::Empty(Some(Preset::Int(number))) => return Some(Some(number)),
            Slot::Empty(Some(preset)) => panic!("{}: {preset:?} is no integer default", field.name),
            Slot::Missing => return None,
        };
        let loc = at(loc, field.name);
        let number = self.int(&loc, value)?;
        let outside = if number < min {
            Some(ParseError::TooSmall { min })
        } else if number > max {
            Some(ParseError::TooLarge { max })
        } else {
            None
        };
        match outside {
            Some(error) => {
                self.domain(loc, value.clone(), error);
                None
            }
            None => Some(Some(number)),
        }
    }

    /// A boolean field (`Kind::Bool`) with Pydantic's lax coercions.
    pub(crate) fn bool_field(
        &mut self,
        loc: &[LocItem],
        fields: &Map<String, Value>,
        field: &Field,
    ) -> Option<Option<bool>> {
        match self.slot(loc, fields, field) {
            Slot::Given(value) => self.bool(&at(loc, field.name), value).map(Some),
            Slot::Empty(None) => Some(None),
            Slot::Empty(Some(Preset::Bool(flag))) => Some(Some(flag)),
            Slot::Empty(Some(preset)) => panic!("{}: {preset:?} is no boolean default", field.name),
            Slot::Missing => None,
        }
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
        let value = match self.slot(loc, fields, field) {
            Slot::Given(value) => value,
            Slot::Empty(_) => return Some(None),
            Slot::Missing => return None,
        };
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
        let value = match self.slot(loc, fields, field) {
            Slot::Given(value) => value,
            Slot::Empty(_) => return Some(None),
            Slot::Missing => return None,
        };
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
        match self.slot(loc, fields, field) {
            Slot::Given(value) => Some(Some(value)),
            Slot::Empty(_) => Some(None),
            Slot::Missing => None,
        }
    }
}
