//! What a client may do and what its tokens look like: everything that differs between
//! kinds of client, as data. `find_client` picks the policy once, when the row is loaded
//! (`for_kind`, or `console` for the built-in console client); the protocol code only
//! ever asks the policy, never the client's id or kind.

use crate::store::users::UserRow;

/// The grants of a public sign-in client (PKCE code, then rotating refresh tokens).
const SIGN_IN_GRANTS: &[&str] = &["authorization_code", "refresh_token"];
/// The grants of the account page: it keeps only the access token (no refresh).
const CODE_GRANT: &[&str] = &["authorization_code"];
/// The grants of a confidential machine client.
const MACHINE_GRANTS: &[&str] = &["client_credentials"];
/// RFC 8693's grant type.
pub const TOKEN_EXCHANGE_GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// The grants of an agent, or of a server client allowed token exchange.
const EXCHANGE_GRANTS: &[&str] = &["client_credentials", TOKEN_EXCHANGE_GRANT];

/// Paths of the console's redirect URIs under the issuer (see [`RedirectRule::UnderIssuer`]).
const CONSOLE_CALLBACK_PATH: &str = "/console/callback";
const CONSOLE_SIGNED_OUT_PATH: &str = "/console/";
/// Paths of the account page's redirect URIs under the issuer.
pub const ACCOUNT_CALLBACK_PATH: &str = "/account/callback";
const ACCOUNT_SIGNED_OUT_PATH: &str = "/account/";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPolicy {
    /// The `grant_type`s it may use at the token endpoint; `authorization_code` also
    /// admits it to `/oauth/authorize`.
    pub grants: &'static [&'static str],
    /// How its login and post-logout redirect URIs are checked.
    pub redirects: RedirectRule,
    /// Who may sign in to it (and keep refreshing).
    pub sign_in: SignInRule,
    /// Whether a live SSO session yields a code without a page (else the user confirms on
    /// `/login/confirm`, or types the password again when the session is old).
    pub silent_sso: bool,
    /// Whether a sign-in may grant it the `admin` scope (no other client ever gets it).
    pub admin_scope: bool,
    /// Whether its sign-ins stay outside every branch (no branch choice or switch, no
    /// role scopes).
    pub branchless: bool,
    /// The `aud` of its access tokens.
    pub audience: AudienceRule,
    /// Which of its access tokens the `/v1` admin API takes.
    pub admin_api: AdminApiAccess,
    /// Whether it may introspect tokens of every client (else its own product's).
    pub introspects_all: bool,
    /// Whether a secret must come by its registered method only (`client_secret_basic`
    /// or `_post`); else either is accepted (server and admin clients).
    pub exact_auth_method: bool,
    /// A third-party client: its users approve what it asks for on the consent page
    /// (remembered per user, client and scopes); first-party clients skip it.
    pub third_party: bool,
}

/// How redirect URIs are checked; always an exact string comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectRule {
    /// The URIs registered for the client (`client_redirect_uris`).
    Registered,
    /// `{issuer}{path}`, and in the desktop build also the embedded server's own
    /// loopback origin + path (`oauth::client_policy::under_issuer`).
    UnderIssuer {
        login: &'static str,
        post_logout: &'static str,
    },
}

/// Who may sign in to a client (beyond being an active user).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRule {
    Anyone,
    /// Active super-admins only; anyone else gets `access_denied`.
    SuperAdmins,
}

impl SignInRule {
    pub fn allows(self, user: &UserRow) -> bool {
        match self {
            SignInRule::Anyone => true,
            SignInRule::SuperAdmins => user.is_active() && user.is_superadmin,
        }
    }
}

/// The audience of a client's access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceRule {
    /// The product's `audience`, else the client_id.
    Product,
    /// `{issuer}/v1`, the admin API.
    AdminApi,
}

/// Which tokens of a client the admin API accepts (besides needing scope `admin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminApiAccess {
    None,
    /// Its own client_credentials tokens (`sub` = client_id).
    ClientTokens,
    /// Tokens of users signed in through it, while they are active super-admins; the
    /// only tokens that can be a `FreshSuperAdmin`.
    SuperAdminUsers,
}

impl ClientPolicy {
    /// The policy of a client of `kind`.
    pub fn for_kind(kind: super::ClientKind) -> Self {
        use super::ClientKind;
        let product = ClientPolicy {
            grants: SIGN_IN_GRANTS,
            redirects: RedirectRule::Registered,
            sign_in: SignInRule::Anyone,
            silent_sso: true,
            admin_scope: false,
            branchless: false,
            audience: AudienceRule::Product,
            admin_api: AdminApiAccess::None,
            introspects_all: false,
            exact_auth_method: true,
            third_party: false,
        };
        match kind {
            ClientKind::Web => product,
            ClientKind::Dynamic => ClientPolicy {
                third_party: true,
                ..product
            },
            ClientKind::Agent => ClientPolicy {
                grants: EXCHANGE_GRANTS,
                exact_auth_method: false,
                ..product
            },
            ClientKind::Server => ClientPolicy {
                grants: MACHINE_GRANTS,
                exact_auth_method: false,
                ..product
            },
            ClientKind::Admin => ClientPolicy {
                grants: MACHINE_GRANTS,
                audience: AudienceRule::AdminApi,
                admin_api: AdminApiAccess::ClientTokens,
                introspects_all: true,
                exact_auth_method: false,
                ..product
            },
        }
    }

    /// The built-in console: a sign-in client for super-admins only, redirect URIs by
    /// rule, `admin` scope, no branch, tokens for the admin API, and never a code from a
    /// session alone (the keys to everything need a confirmation).
    pub fn console() -> Self {
        ClientPolicy {
            grants: SIGN_IN_GRANTS,
            redirects: RedirectRule::UnderIssuer {
                login: CONSOLE_CALLBACK_PATH,
                post_logout: CONSOLE_SIGNED_OUT_PATH,
            },
            sign_in: SignInRule::SuperAdmins,
            silent_sso: false,
            admin_scope: true,
            branchless: true,
            audience: AudienceRule::AdminApi,
            admin_api: AdminApiAccess::SuperAdminUsers,
            introspects_all: false,
            exact_auth_method: true,
            third_party: false,
        }
    }

    /// The built-in account page (`/account`): any active user signs in to see and
    /// change their own account; redirect URIs by rule, silent SSO, no branch, no admin,
    /// code only (its access token, aud = its client id, lives in an HttpOnly cookie).
    pub fn account() -> Self {
        ClientPolicy {
            grants: CODE_GRANT,
            redirects: RedirectRule::UnderIssuer {
                login: ACCOUNT_CALLBACK_PATH,
                post_logout: ACCOUNT_SIGNED_OUT_PATH,
            },
            sign_in: SignInRule::Anyone,
            silent_sso: true,
            admin_scope: false,
            branchless: true,
            audience: AudienceRule::Product,
            admin_api: AdminApiAccess::None,
            introspects_all: false,
            exact_auth_method: true,
            third_party: false,
        }
    }

    /// The policy of a loaded client row: [`for_kind`](Self::for_kind), plus token
    /// exchange for a server client whose row allows it.
    pub fn for_client(kind: super::ClientKind, token_exchange: bool) -> Self {
        let policy = Self::for_kind(kind);
        if token_exchange && kind == super::ClientKind::Server {
            return ClientPolicy {
                grants: EXCHANGE_GRANTS,
                ..policy
            };
        }
        policy
    }

    /// Narrowed to the grants a registered client named (RFC 7591 `grant_types`): one
    /// registered without `refresh_token` gets the code grant alone, so no refresh token.
    pub fn registered(self, grants: Option<&[String]>) -> Self {
        match grants {
            Some(g) if self.grants == SIGN_IN_GRANTS && !g.iter().any(|g| g == "refresh_token") => {
                ClientPolicy {
                    grants: CODE_GRANT,
                    ..self
                }
            }
            _ => self,
        }
    }

    /// Whether the client may use `grant_type`.
    pub fn may_use(&self, grant_type: &str) -> bool {
        self.grants.contains(&grant_type)
    }
}
