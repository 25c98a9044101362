//! The queries whose text follows a filter or a dialect: the integrations
//! list, the audit log, a page of revisions, a set of secret values, the
//! leases list.
use super::rows::{
    AUDIT_COLUMNS, INTEGRATION_COLUMNS, INTEGRATION_COLUMNS_OF_I, LEASE_COLUMNS, REVISION_COLUMNS,
    SECRET_VALUE_COLUMNS,
};
use super::{Arg, Dialect, Query, TextIndex};
use crate::codec::{TRIGRAM, contains_pattern, distinct_tags, fts_phrase};
use patchbay_domain::{AuditFilter, LeaseFilter, ListFilter, OrganizationId, SecretName};

/// The organization's integrations matching `filter`, newest first, as
/// `INTEGRATION_COLUMNS`. Tags go through the tag table: an integration
/// matches when it carries every wanted tag. One tag, the common filter,
/// drives the query from its tag rows, whose key holds the integration's
/// creation instant: they come in the list's order, so its cost follows the
/// tagged rows, not the size of the organization, and nothing is sorted.
/// Several tags, and a search through a text index, drive it from their
/// candidates (the organization column kept off the indexes).
pub fn integrations(dialect: Dialect, org: &OrganizationId, filter: &ListFilter) -> Query {
    let mut q = Query::new(dialect);
    let org_arg = q.bind(org.as_str());
    let indexed_needle = filter.query.as_ref().filter(|needle| needle.chars().count() >= TRIGRAM);
    let indexed_search = indexed_needle.is_some() && !matches!(dialect.text_index, TextIndex::None);
    let wanted: Vec<String> = distinct_tags(&filter.tags).into_iter().map(str::to_owned).collect();
    let one_tag = wanted.len() == 1;
    if one_tag {
        // The tag rows are the organization's by their key; the
        // integration's own column is checked too, never used to find it.
        let tag = q.bind(wanted[0].clone());
        let org_column = (dialect.unindexed)("i.organization_id");
        q.push(&format!(
            "SELECT {INTEGRATION_COLUMNS_OF_I} FROM custom_integration_tags t \
             JOIN custom_integrations i ON i.seq = t.integration_seq \
             WHERE t.organization_id = {org_arg} AND t.tag = {tag} AND {org_column} = {org_arg}"
        ));
    } else {
        let org_column = if wanted.is_empty() && !indexed_search {
            "organization_id".to_owned()
        } else {
            (dialect.unindexed)("organization_id")
        };
        q.push(&format!(
            "SELECT {INTEGRATION_COLUMNS} FROM custom_integrations WHERE {org_column} = {org_arg}"
        ));
    }
    match filter.status {
        Some(status) => {
            let p = q.bind(status.as_str());
            q.push(&format!(" AND status = {p}"));
        }
        None => q.push(" AND status <> 'deleted'"),
    }
    if let Some(kind) = &filter.integration_type {
        let p = q.bind(kind.as_str());
        q.push(&format!(" AND integration_type = {p}"));
    }
    if let Some(needle) = &filter.query {
        let (p, like) = (q.bind(contains_pattern(needle)), dialect.like_any_case);
        q.plan_with_values = true;
        q.push(&format!(" AND (name {like} {p} ESCAPE '\\' OR description {like} {p} ESCAPE '\\')"));
    }
    if let (Some(needle), TextIndex::Candidates(candidates)) = (indexed_needle, dialect.text_index) {
        let phrase = q.bind(fts_phrase(needle));
        q.push(&format!(" AND {}", candidates(&phrase)));
    }
    if wanted.len() > 1 {
        // Every tag: the rows that have as many of them as were asked.
        let every = q.bind(wanted.len() as i64);
        let tags = q.in_set("tag", wanted);
        q.push(&format!(
            " AND seq IN (SELECT integration_seq FROM custom_integration_tags \
             WHERE organization_id = {org_arg} AND {tags} GROUP BY integration_seq HAVING COUNT(*) = {every})"
        ));
    }
    if one_tag {
        // The tag key's order, the same as the integrations' own.
        q.push(" ORDER BY t.created_at DESC, t.integration_seq DESC");
    } else {
        q.push(" ORDER BY created_at DESC, seq DESC");
    }
    page(&mut q, filter.limit, filter.offset);
    q
}

/// A page of integration `seq`'s revisions, newest first, as
/// `REVISION_COLUMNS`.
pub fn revisions(dialect: Dialect, seq: i64, limit: Option<u32>, offset: u32) -> Query {
    let mut q = Query::new(dialect);
    let seq = q.bind(seq);
    q.push(&format!(
        "SELECT {REVISION_COLUMNS} FROM integration_revisions WHERE integration_seq = {seq} \
         ORDER BY revision DESC"
    ));
    page(&mut q, limit, offset);
    q
}

/// The current versions and sealed values of those of `names` the
/// organization has, as `SECRET_VALUE_COLUMNS`: one statement whatever the
/// number of names. `None` for no names: there is nothing to ask.
pub fn secret_values(dialect: Dialect, org: &OrganizationId, names: &[SecretName]) -> Option<Query> {
    if names.is_empty() {
        return None;
    }
    let mut q = Query::new(dialect);
    let org = q.bind(org.as_str());
    let names = q.in_set("s.name", names.iter().map(SecretName::as_str).collect());
    q.push(&format!(
        "SELECT {SECRET_VALUE_COLUMNS} FROM secrets s \
         JOIN secret_versions v ON v.secret_seq = s.seq AND v.version = s.current_version \
         WHERE s.organization_id = {org} AND {names}"
    ));
    Some(q)
}

/// `LIMIT` and `OFFSET`; no limit is the largest count, which both
/// dialects take (SQLite has no `LIMIT NULL`, PostgreSQL no `LIMIT -1`).
/// The whole list, the common request, has neither: SQLite sorts a
/// limited query through a b-tree holding every selected column (for 50
/// integrations, a tenth of the list's cost in page splits), an
/// unlimited one through its cheaper in-memory sorter.
fn page(q: &mut Query, limit: Option<u32>, offset: u32) {
    if limit.is_none() && offset == 0 {
        return;
    }
    let limit = q.bind_count(limit.map_or(i64::MAX, i64::from));
    let offset = q.bind_count(i64::from(offset));
    q.push(&format!(" LIMIT {limit} OFFSET {offset}"));
}

/// Leases listed when the filter names no limit.
const LEASE_LIMIT: u32 = 100;
/// The most leases one list returns, whatever the filter asks.
const MAX_LEASE_LIMIT: u32 = 1000;

/// The organization's leases matching `filter`, newest first, as
/// `LEASE_COLUMNS`; `filter.integration` is the integration's name.
pub fn leases(dialect: Dialect, org: &OrganizationId, filter: &LeaseFilter) -> Query {
    let mut q = Query::new(dialect);
    let org = q.bind(org.as_str());
    q.push(&format!("SELECT {LEASE_COLUMNS} FROM credential_leases WHERE organization_id = {org}"));
    let conditions = [
        ("provider =", filter.provider.as_ref().map(|name| Arg::from(name.as_str()))),
        ("integration_name =", filter.integration.clone().map(Arg::Text)),
        ("state =", filter.state.map(|state| Arg::from(state.as_str()))),
        ("job_id =", filter.job_id.map(Arg::Uuid)),
    ];
    for (condition, value) in conditions {
        if let Some(value) = value {
            let p = q.bind(value);
            q.push(&format!(" AND {condition} {p}"));
        }
    }
    let limit = q.bind_count(i64::from(filter.limit.unwrap_or(LEASE_LIMIT).min(MAX_LEASE_LIMIT)));
    q.push(&format!(" ORDER BY created_at DESC, id DESC LIMIT {limit}"));
    q
}

/// The organization's audit events matching `filter`, newest first, at most
/// `filter.limit`, as `AUDIT_COLUMNS`.
pub fn audit_events(dialect: Dialect, org: &OrganizationId, filter: &AuditFilter) -> Query {
    let mut q = Query::new(dialect);
    let org_arg = q.bind(org.as_str());
    q.push(&format!("SELECT {AUDIT_COLUMNS} FROM audit_events WHERE organization_id = {org_arg}"));
    let conditions = [
        ("action =", filter.action.map(|action| Arg::from(action.as_str()))),
        ("resource_id =", filter.resource_id.clone().map(Arg::Text)),
        ("actor =", filter.actor.clone().map(Arg::Text)),
        ("occurred_at >=", filter.since.map(Arg::Time)),
        ("occurred_at <", filter.until.map(Arg::Time)),
        ("seq <", filter.before_seq.map(Arg::Int)),
    ];
    for (condition, value) in conditions {
        if let Some(value) = value {
            let p = q.bind(value);
            q.push(&format!(" AND {condition} {p}"));
        }
    }
    let limit = q.bind_count(i64::from(filter.limit));
    q.push(&format!(" ORDER BY seq DESC LIMIT {limit}"));
    q
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::acme;
    use crate::sql::query::test_dialects::{DOLLAR, QUESTION};
    use patchbay_domain::{AuditAction, IntegrationStatus, LeaseState, ProviderName};

    #[test]
    fn no_filter_lists_the_live_integrations_without_limit() {
        let q = integrations(DOLLAR, &acme(), &ListFilter::default());
        assert!(q.sql.ends_with(
            "WHERE organization_id = $1 AND status <> 'deleted' \
             ORDER BY created_at DESC, seq DESC"
        ));
        assert_eq!(q.args, [Arg::from("acme")]);
    }

    #[test]
    fn every_filter_binds_its_value_in_order() {
        let filter = ListFilter {
            integration_type: Some("postgres".into()),
            status: Some(IntegrationStatus::Deleted),
            tags: vec!["b".into(), "a".into(), "b".into()],
            query: Some("50%".into()),
            limit: Some(10),
            offset: 20,
        };
        let q = integrations(DOLLAR, &acme(), &filter);
        let conditions = q.sql.split_once(" WHERE ").unwrap().1;
        assert_eq!(
            conditions,
            "organization_id = $1 AND status = $2 AND integration_type = $3 \
             AND (name ILIKE $4 ESCAPE '\\' OR description ILIKE $4 ESCAPE '\\') \
             AND seq IN (SELECT integration_seq FROM custom_integration_tags \
             WHERE organization_id = $1 AND tag IN ($6, $7) GROUP BY integration_seq HAVING COUNT(*) = $5) \
             ORDER BY created_at DESC, seq DESC LIMIT $8 OFFSET $9"
        );
        assert_eq!(
            q.args,
            [
                Arg::from("acme"),
                Arg::from("deleted"),
                Arg::from("postgres"),
                Arg::from("%50\\%%"),
                Arg::Int(2),
                Arg::from("b"),
                Arg::from("a"),
                Arg::Int(10),
                Arg::Int(20),
            ]
        );
    }

    #[test]
    fn the_dialect_shapes_placeholders_like_and_sets() {
        let question = Dialect {
            text_index: TextIndex::Candidates(|phrase| {
                format!("seq IN (SELECT rowid FROM text WHERE text MATCH {phrase})")
            }),
            ..QUESTION
        };
        let filter =
            ListFilter { tags: vec!["a".into(), "b".into()], query: Some("x".into()), ..Default::default() };
        let q = integrations(question, &acme(), &filter);
        assert!(q.sql.contains("(name LIKE ?2 ESCAPE '\\' OR description LIKE ?2 ESCAPE '\\')"), "{}", q.sql);
        assert!(q.sql.contains("tag IN (SELECT value FROM json_each(?4))"), "{}", q.sql);
        // A tag filter keeps SQLite off the organization's indexes, so the
        // tagged rows drive the query.
        assert!(q.sql.contains("WHERE +organization_id = ?1 AND"), "{}", q.sql);
        // One tag (asked once or more) drives the query from its tag rows,
        // in their key's order: no counting, no sort; the integration's
        // own organization is checked as well.
        let one = ListFilter { tags: vec!["a".into(), "a".into()], ..Default::default() };
        let q = integrations(question, &acme(), &one);
        assert_eq!(
            q.sql.split_once(" FROM ").unwrap().1,
            "custom_integration_tags t JOIN custom_integrations i ON i.seq = t.integration_seq \
             WHERE t.organization_id = ?1 AND t.tag = ?2 AND +i.organization_id = ?1 \
             AND status <> 'deleted' ORDER BY t.created_at DESC, t.integration_seq DESC"
        );
        assert!(q.sql.starts_with("SELECT i.seq, i.id, i.organization_id,"), "{}", q.sql);
        assert_eq!(q.args, [Arg::from("acme"), Arg::from("a")]);
        let untagged = integrations(question, &acme(), &ListFilter::default());
        assert!(untagged.sql.contains("WHERE organization_id = ?1 AND"), "{}", untagged.sql);
    }

    #[test]
    fn a_text_index_narrows_searches_of_three_characters_or_more() {
        let indexed = Dialect {
            text_index: TextIndex::Candidates(|phrase| {
                format!("seq IN (SELECT rowid FROM text WHERE text MATCH {phrase})")
            }),
            unindexed: |column| format!("+{column}"),
            ..DOLLAR
        };
        let search = |needle: &str| {
            integrations(indexed, &acme(), &ListFilter { query: Some(needle.into()), ..Default::default() })
        };
        // Three characters: the LIKE rule still decides, over the index's
        // candidates, and the index drives the query.
        let q = search("ab\"c");
        assert!(q.sql.contains("WHERE +organization_id = $1 AND"), "{}", q.sql);
        assert!(
            q.sql.contains("(name ILIKE $2 ESCAPE '\\' OR description ILIKE $2 ESCAPE '\\')"),
            "{}",
            q.sql
        );
        assert!(q.sql.contains("AND seq IN (SELECT rowid FROM text WHERE text MATCH $3)"), "{}", q.sql);
        assert_eq!(q.args[1..3], [Arg::from("%ab\"c%"), Arg::from("\"ab\"\"c\"")]);
        // Two characters (counted as characters, not bytes) have no trigram.
        let short = search("éé");
        assert!(!short.sql.contains("MATCH"), "{}", short.sql);
        assert!(short.sql.contains("WHERE organization_id = $1 AND"), "{}", short.sql);
        // Without an index the search is the LIKE rule alone.
        let q =
            integrations(DOLLAR, &acme(), &ListFilter { query: Some("abc".into()), ..Default::default() });
        assert!(!q.sql.contains("MATCH") && q.sql.contains("WHERE organization_id = $1 AND"), "{}", q.sql);
        // Where an index serves the LIKE itself, that is the whole search,
        // still kept off the organization's indexes.
        let serves =
            Dialect { text_index: TextIndex::ServesLike, unindexed: |c| format!("({c} || '')"), ..DOLLAR };
        let q =
            integrations(serves, &acme(), &ListFilter { query: Some("abc".into()), ..Default::default() });
        assert!(
            !q.sql.contains("MATCH") && q.sql.contains("WHERE (organization_id || '') = $1 AND"),
            "{}",
            q.sql
        );
        let q = integrations(serves, &acme(), &ListFilter { query: Some("ab".into()), ..Default::default() });
        assert!(q.sql.contains("WHERE organization_id = $1 AND"), "{}", q.sql);
        // A search is planned with its pattern (an index serves it only
        // once known); other lists reuse one cached plan.
        assert!(q.plan_with_values && short.plan_with_values);
        assert!(!integrations(DOLLAR, &acme(), &ListFilter::default()).plan_with_values);
    }

    #[test]
    fn secret_values_are_one_set() {
        let names = [SecretName::parse("DB_PASSWORD").unwrap(), SecretName::parse("API_KEY").unwrap()];
        let q = secret_values(DOLLAR, &acme(), &names).unwrap();
        assert!(q.sql.ends_with("WHERE s.organization_id = $1 AND s.name IN ($2, $3)"), "{}", q.sql);
        assert_eq!(q.args, [Arg::from("acme"), Arg::from("DB_PASSWORD"), Arg::from("API_KEY")]);
        let q = secret_values(QUESTION, &acme(), &names).unwrap();
        let set = Arg::TextSet(vec!["DB_PASSWORD".into(), "API_KEY".into()]);
        assert_eq!(q.args, [Arg::from("acme"), set]);
        assert!(secret_values(DOLLAR, &acme(), &[]).is_none());
    }

    #[test]
    fn a_page_of_revisions() {
        let q = revisions(DOLLAR, 42, Some(5), 1);
        assert!(q.sql.ends_with("WHERE integration_seq = $1 ORDER BY revision DESC LIMIT $2 OFFSET $3"));
        assert_eq!(q.args, [Arg::Int(42), Arg::Int(5), Arg::Int(1)]);
    }

    #[test]
    fn a_whole_list_has_no_page_and_counts_follow_the_dialect() {
        // No limit and no offset: no LIMIT at all (SQLite then sorts in
        // memory rather than through a b-tree of whole rows).
        let q = revisions(QUESTION, 42, None, 0);
        assert!(q.sql.ends_with("ORDER BY revision DESC"), "{}", q.sql);
        assert_eq!(q.args, [Arg::Int(42)]);
        // An offset alone still pages, up to the largest count.
        let q = revisions(DOLLAR, 42, None, 3);
        assert!(q.sql.ends_with("LIMIT $2 OFFSET $3"), "{}", q.sql);
        assert_eq!(q.args, [Arg::Int(42), Arg::Int(i64::MAX), Arg::Int(3)]);
        // SQLite's counts are expressions, so binding them keeps the plan.
        let q = revisions(QUESTION, 42, Some(5), 0);
        assert!(q.sql.ends_with("LIMIT (?2 + 0) OFFSET (?3 + 0)"), "{}", q.sql);
    }

    #[test]
    fn leases_default_to_a_hundred_newest_first() {
        let q = leases(DOLLAR, &acme(), &LeaseFilter::default());
        assert!(
            q.sql.ends_with(
                "FROM credential_leases WHERE organization_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2"
            ),
            "{}",
            q.sql
        );
        assert_eq!(q.args, [Arg::from("acme"), Arg::Int(100)]);
    }

    #[test]
    fn lease_filters_bind_in_order_and_the_limit_is_capped() {
        let job = uuid::Uuid::from_u128(9);
        let filter = LeaseFilter {
            provider: Some(ProviderName::parse("analytics").unwrap()),
            integration: Some("warehouse".into()),
            state: Some(LeaseState::RevokeFailed),
            job_id: Some(job),
            limit: Some(5000),
        };
        let q = leases(DOLLAR, &acme(), &filter);
        let conditions = q.sql.split_once(" WHERE ").unwrap().1;
        assert_eq!(
            conditions,
            "organization_id = $1 AND provider = $2 AND integration_name = $3 AND state = $4 \
             AND job_id = $5 ORDER BY created_at DESC, id DESC LIMIT $6"
        );
        assert_eq!(
            q.args,
            [
                Arg::from("acme"),
                Arg::from("analytics"),
                Arg::from("warehouse"),
                Arg::from("revoke_failed"),
                Arg::Uuid(job),
                Arg::Int(1000),
            ]
        );
        let small = leases(DOLLAR, &acme(), &LeaseFilter { limit: Some(3), ..Default::default() });
        assert_eq!(small.args.last(), Some(&Arg::Int(3)));
    }

    #[test]
    fn audit_filters_in_order_then_the_limit() {
        let at = patchbay_domain::now_utc();
        let filter = AuditFilter {
            action: Some(AuditAction::SecretWrite),
            actor: Some("ada".into()),
            since: Some(at),
            before_seq: Some(9),
            limit: 50,
            ..Default::default()
        };
        let q = audit_events(DOLLAR, &acme(), &filter);
        let conditions = q.sql.split_once(" WHERE ").unwrap().1;
        assert_eq!(
            conditions,
            "organization_id = $1 AND action = $2 AND actor = $3 AND occurred_at >= $4 AND seq < $5 \
             ORDER BY seq DESC LIMIT $6"
        );
        assert_eq!(
            q.args,
            [
                Arg::from("acme"),
                Arg::from(AuditAction::SecretWrite.as_str()),
                Arg::from("ada"),
                Arg::Time(at),
                Arg::Int(9),
                Arg::Int(50),
            ]
        );
    }
}
