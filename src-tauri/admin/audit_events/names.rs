//! The name filters (`user`, `product`, `business`) as groups of the store's filter: one
//! small indexed query per name given, before the page's one query.

use super::query::Names;
use crate::error::ApiError;
use crate::store::audit::{
    business_ids, product_ids, user_ids, AnyOf, AuditFilter, Field, NAME_MATCHES_MAX,
};
use crate::store::Reader;

/// Adds a group per name given: `user` = the user as subject or actor; `product` = any of
/// its clients, or the product as subject; `business` = the business as `org` or subject.
/// A name that matches nothing is taken as an id (a deleted user's events stay findable
/// by id); an unknown email or name then matches no event: an empty page, not an error.
pub(super) async fn resolve(
    db: &Reader,
    names: &Names,
    filter: &mut AuditFilter,
) -> Result<(), ApiError> {
    if let Some(v) = &names.user {
        let ids = or_itself(v, checked("user", user_ids(db, v).await?)?);
        filter
            .any_of
            .push(group(&ids, &[Field::Subject, Field::Actor]));
    }
    if let Some(v) = &names.product {
        let rows = checked("product", product_ids(db, v).await?)?;
        let mut products: Vec<String> = rows.iter().map(|(p, _)| p.clone()).collect();
        products.sort();
        products.dedup();
        let mut g = group(&or_itself(v, products), &[Field::Subject]);
        g.extend(
            rows.into_iter()
                .filter_map(|(_, c)| c.map(|c| (Field::ClientId, c))),
        );
        filter.any_of.push(g);
    }
    if let Some(v) = &names.business {
        let ids = or_itself(v, checked("business", business_ids(db, v).await?)?);
        filter
            .any_of
            .push(group(&ids, &[Field::Org, Field::Subject]));
    }
    Ok(())
}

/// Refuses a name that stands for too many things to be a useful filter.
fn checked<T>(field: &str, found: Vec<T>) -> Result<Vec<T>, ApiError> {
    if found.len() as i64 > NAME_MATCHES_MAX {
        return Err(ApiError::invalid_field(
            field,
            format!("matches more than {NAME_MATCHES_MAX}; give an id"),
        ));
    }
    Ok(found)
}

fn or_itself(value: &str, ids: Vec<String>) -> Vec<String> {
    if ids.is_empty() {
        vec![value.to_string()]
    } else {
        ids
    }
}

fn group(ids: &[String], fields: &[Field]) -> AnyOf {
    ids.iter()
        .flat_map(|id| fields.iter().map(move |f| (*f, id.clone())))
        .collect()
}
