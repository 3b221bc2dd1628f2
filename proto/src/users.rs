//! `/v1/users`: the user resource and its create, update and password bodies.

use serde::{Deserialize, Serialize};

/// A user as the admin API shows it (never the password hash).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    /// The user id (a UUID v7: ordered by creation).
    pub id: String,
    /// The sign-in email address.
    pub email: String,
    /// Full name, or null.
    pub name: Option<String>,
    /// Given name, or null.
    pub given_name: Option<String>,
    /// Family name, or null.
    pub family_name: Option<String>,
    /// Language tag such as `en` or `de-CH`, or null.
    pub locale: Option<String>,
    /// Whether the email address is verified.
    pub email_verified: bool,
    /// `active`, `suspended` or `invited` (invited by email, not accepted yet).
    pub status: String,
    /// Whether the user may sign in to the console.
    pub is_superadmin: bool,
    /// The user's second factors and MFA requirement.
    pub mfa: UserMfa,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub updated_at: i64,
}

/// A user's second factors (never a secret) and whether MFA is required of them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserMfa {
    /// Whether an authenticator app (TOTP) is enrolled.
    pub totp: bool,
    /// How many passkeys are registered.
    pub passkeys: i64,
    /// Unused recovery codes left.
    pub recovery_codes_left: i64,
    /// Whether `mfa:require` was set for this user (products may require MFA too).
    pub required: bool,
}

/// `POST /v1/users/{id}/mfa:require` (the body is optional: no body requires MFA).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RequireMfa {
    /// Whether the user must sign in with a second factor (default true); false lifts it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

/// A page of users, ordered by id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPage {
    /// The users of this page.
    pub users: Vec<User>,
    /// The `cursor` of the next page; null on the last page.
    pub next_cursor: Option<String>,
}

/// `POST /v1/users`: with a `password`, or `invite: true` (no password: the user is
/// emailed an invitation link and chooses one).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// The sign-in email address.
    pub email: String,
    /// 8 to 1024 characters; not with `invite`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Full name (at most 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Invite the user by email instead of setting a password (needs email configured).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub invite: bool,
    /// With `invite`: the product web client the invitation is for (its name in the
    /// email; the user continues there after accepting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// `POST /v1/users/{id}/invitation:resend` (the body is optional).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResendInvitation {
    /// The product web client the invitation is for; absent: the one of the last
    /// invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
}

/// `PATCH /v1/users/{id}`: absent fields stay, `null` clears the optional ones.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    /// Full name; null clears it.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<Option<String>>,
    /// Given name; null clears it.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub given_name: Option<Option<String>>,
    /// Family name; null clears it.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub family_name: Option<Option<String>>,
    /// Language tag such as `en` or `de-CH`; null clears it.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub locale: Option<Option<String>>,
    /// A new email address (unverified unless `email_verified` comes with it); not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<Option<String>>,
    /// Whether the email address is verified; not null.
    #[serde(
        default,
        deserialize_with = "crate::nullable",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<Option<bool>>,
}

/// `POST /v1/users/{id}/password`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The new password, 8 to 1024 characters.
    pub password: String,
}

/// One of a user's passkeys as the admin API shows it (never the key itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPasskey {
    /// The passkey's id.
    pub id: String,
    /// The name the user gave it.
    pub name: String,
    /// When it was registered, unix seconds.
    pub created_at: i64,
    /// When it last signed the user in, unix seconds; null if never.
    pub last_used_at: Option<i64>,
}

/// `GET /v1/users/{id}/passkeys`: the user's passkeys, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPasskeys {
    /// The passkeys.
    pub passkeys: Vec<UserPasskey>,
}
