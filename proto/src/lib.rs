//! The wire types of Tessera, shared by the server, the console (`ui/`) and the SDK: the
//! request and response bodies of the `/v1` admin API and the token claim sets. Plain
//! serde types with no server dependency (the console builds them for wasm32);
//! `utoipa::ToSchema` comes with the `openapi` feature, and each field's doc comment is
//! its description in the server's OpenAPI document.

pub mod agents;
pub mod audit;
pub mod auth;
pub mod backup;
pub mod businesses;
pub mod claims;
pub mod clients;
pub mod consents;
pub mod email;
pub mod error;
pub mod keys;
pub mod products;
pub mod registration;
pub mod sessions;
pub mod settings;
pub mod stats;
pub mod throttles;
pub mod users;

use serde::{Deserialize, Deserializer};

/// For `#[serde(default, deserialize_with = "tessera_proto::nullable")]` on an
/// `Option<Option<T>>` patch field: absent -> `None`, `null` -> `Some(None)`, a value ->
/// `Some(Some(v))`.
pub fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}
