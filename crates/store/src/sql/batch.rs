//! Several rows read by their keys in one statement: the keys are one
//! argument (`Arg::TextSet`), so a single cached statement serves any
//! number of them, and a request that needs ten rows costs one round trip.
use super::rows::INTEGRATION_COLUMNS;
use super::{Arg, Dialect, Query};
use patchbay_domain::OrganizationId;

/// The organization's non-deleted integrations named in `names` (what
/// `get_integration_by_name` sees, through the same live-name index), as
/// `INTEGRATION_COLUMNS`, in no particular order. `None` for no names:
/// there is nothing to ask.
pub fn integrations_by_names(dialect: Dialect, org: &OrganizationId, names: &[String]) -> Option<Query> {
    if names.is_empty() {
        return None;
    }
    let mut q = Query::new(dialect);
    let org = q.bind(org.as_str());
    let set = q.bind(Arg::TextSet(names.to_vec()));
    q.push(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations \
         WHERE organization_id = {org} AND {} AND status <> 'deleted'",
        (dialect.in_set)("name", &set)
    ));
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOLLAR: Dialect = Dialect {
        placeholder: "$",
        like_any_case: "ILIKE",
        in_set: |column, set| format!("{column} = ANY({set})"),
        unindexed: |column| column.to_owned(),
        text_index: crate::sql::TextIndex::None,
    };

    #[test]
    fn names_are_one_set_argument_and_deleted_ones_are_left_out() {
        let org = OrganizationId::parse("acme").unwrap();
        let names = vec!["pg".to_owned(), "redis".to_owned()];
        let q = integrations_by_names(DOLLAR, &org, &names).unwrap();
        assert!(
            q.sql.ends_with("WHERE organization_id = $1 AND name = ANY($2) AND status <> 'deleted'"),
            "{}",
            q.sql
        );
        assert_eq!(q.args, [Arg::from("acme"), Arg::TextSet(names)]);
    }

    #[test]
    fn no_names_ask_nothing() {
        let org = OrganizationId::parse("acme").unwrap();
        assert!(integrations_by_names(DOLLAR, &org, &[]).is_none());
    }
}
