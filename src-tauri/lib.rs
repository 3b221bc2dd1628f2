//! Tessera: a self-hosted OpenID Connect / OAuth 2.1 identity provider.
//! This crate root only wires the modules together.

pub mod admin;
pub mod audit;
pub mod auth_api;
pub mod backup;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod console;
pub mod cors;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod keys;
pub mod mail;
pub mod metrics;
pub mod mfa;
pub mod oauth;
pub mod pages;
pub mod request_id;
pub mod selfservice;
pub mod server;
pub mod state;
pub mod store;
pub mod throttle;
pub mod webauthn;

#[cfg(feature = "desktop")]
pub mod desktop;
