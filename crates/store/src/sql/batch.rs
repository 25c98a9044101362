//! Several rows read by their keys in one statement (`Query::in_set`), so a
//! request that needs ten rows costs one round trip.
use super::rows::INTEGRATION_COLUMNS;
use super::{Dialect, Query};
use patchbay_domain::OrganizationId;
use uuid::Uuid;

/// The organization's integrations with one of `ids`, deleted ones too
/// (what `get_integration` sees), as `INTEGRATION_COLUMNS`, in no
/// particular order. `None` for no ids.
pub fn integrations_by_ids(dialect: Dialect, org: &OrganizationId, ids: &[Uuid]) -> Option<Query> {
    if ids.is_empty() {
        return None;
    }
    let mut q = Query::new(dialect);
    let org = q.bind(org.as_str());
    let ids = q.in_set("id", ids.to_vec());
    // Off the organization's indexes: the id index finds each row at once,
    // where a planner without statistics would walk the organization.
    let organization = (dialect.unindexed)("organization_id");
    q.push(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations WHERE {organization} = {org} AND {ids}"
    ));
    Some(q)
}

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
    let names = q.in_set("name", names.to_vec());
    q.push(&format!(
        "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations \
         WHERE organization_id = {org} AND {names} AND status <> 'deleted'"
    ));
    Some(q)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Arg;
    use crate::sql::query::test_dialects::{DOLLAR, QUESTION};

    #[test]
    fn names_are_one_set_and_deleted_ones_are_left_out() {
        let org = OrganizationId::parse("acme").unwrap();
        let names = vec!["pg".to_owned(), "redis".to_owned()];
        let q = integrations_by_names(DOLLAR, &org, &names).unwrap();
        assert!(
            q.sql.ends_with("WHERE organization_id = $1 AND name IN ($2, $3) AND status <> 'deleted'"),
            "{}",
            q.sql
        );
        assert_eq!(q.args, [Arg::from("acme"), Arg::from("pg"), Arg::from("redis")]);
        let q = integrations_by_names(QUESTION, &org, &names).unwrap();
        assert!(q.sql.contains("name IN (SELECT value FROM json_each(?2))"), "{}", q.sql);
        assert_eq!(q.args, [Arg::from("acme"), Arg::TextSet(names)]);
    }

    #[test]
    fn no_names_or_ids_ask_nothing() {
        let org = OrganizationId::parse("acme").unwrap();
        assert!(integrations_by_names(DOLLAR, &org, &[]).is_none());
        assert!(integrations_by_ids(DOLLAR, &org, &[]).is_none());
    }

    #[test]
    fn ids_are_one_set_found_through_their_index() {
        let org = OrganizationId::parse("acme").unwrap();
        let ids = [Uuid::nil(), Uuid::max()];
        let q = integrations_by_ids(QUESTION, &org, &ids).unwrap();
        assert!(
            q.sql.ends_with("WHERE +organization_id = ?1 AND id IN (SELECT value FROM json_each(?2))"),
            "{}",
            q.sql
        );
        let q = integrations_by_ids(DOLLAR, &org, &ids).unwrap();
        assert!(q.sql.ends_with("organization_id = $1 AND id IN ($2, $3)"), "{}", q.sql);
        assert_eq!(q.args, [Arg::from("acme"), Arg::Uuid(ids[0]), Arg::Uuid(ids[1])]);
    }
}
