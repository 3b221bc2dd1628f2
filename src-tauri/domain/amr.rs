//! How a sign-in authenticated (RFC 8176 `amr` values) and the assurance level it reached
//! (NIST SP 800-63B: `aal1` one factor, `aal2` two). A sign-in's methods are stored as
//! space-separated text on its SSO session and copied to the codes and refresh families
//! it starts, so every token carries the sign-in's own methods, whatever happens later.

/// The methods of one sign-in, in the order they were used; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthMethods(Vec<&'static str>);

/// The RFC 8176 values Tessera records (`mfa` is derived, never stored).
const KNOWN: [&str; 4] = ["pwd", "otp", "hwk", "user"];

impl AuthMethods {
    /// A password sign-in.
    pub fn password() -> Self {
        Self(vec!["pwd"])
    }

    /// A passwordless passkey sign-in: the device's key (`hwk`) unlocked by the user
    /// (`user`: user verification), a multi-factor authenticator on its own.
    pub fn passkey() -> Self {
        Self(vec!["hwk", "user"])
    }

    /// Reads the stored text; unknown words are dropped and nothing left means `pwd` (rows
    /// written before MFA existed).
    pub fn parse(stored: &str) -> Self {
        let methods: Vec<&'static str> = stored
            .split(' ')
            .filter_map(|w| KNOWN.iter().copied().find(|k| *k == w))
            .fold(Vec::new(), |mut v, m| {
                if !v.contains(&m) {
                    v.push(m);
                }
                v
            });
        if methods.is_empty() {
            Self::password()
        } else {
            Self(methods)
        }
    }

    /// The text stored in the database.
    pub fn stored(&self) -> String {
        self.0.join(" ")
    }

    /// These methods plus `method` (`otp` or `hwk`: a second factor just verified).
    pub fn with(mut self, method: &'static str) -> Self {
        if KNOWN.contains(&method) && !self.0.contains(&method) {
            self.0.push(method);
        }
        self
    }

    /// Whether `method` was used.
    pub fn has(&self, method: &str) -> bool {
        self.0.contains(&method)
    }

    /// Two factors of different kinds: something known or the user verified, and something
    /// held (an authenticator app or a security key).
    pub fn is_multi_factor(&self) -> bool {
        let knows = self.has("pwd") || self.has("user");
        let holds = self.has("otp") || self.has("hwk");
        knows && holds
    }

    /// The `amr` claim: the methods, plus `mfa` when there were two factors.
    pub fn amr(&self) -> Vec<String> {
        let mut amr: Vec<String> = self.0.iter().map(|m| m.to_string()).collect();
        if self.is_multi_factor() {
            amr.push("mfa".into());
        }
        amr
    }

    /// The `acr` (and `aal`) claim.
    pub fn aal(&self) -> &'static str {
        if self.is_multi_factor() {
            AAL2
        } else {
            AAL1
        }
    }

    /// The `auth_method` claim: the first factor.
    pub fn auth_method(&self) -> &'static str {
        if self.has("pwd") {
            "password"
        } else {
            "passkey"
        }
    }
}

/// One factor.
pub const AAL1: &str = "aal1";
/// Two factors.
pub const AAL2: &str = "aal2";
/// The `acr_values_supported` of discovery.
pub const ACR_VALUES: [&str; 2] = [AAL1, AAL2];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_alone_is_aal1() {
        let m = AuthMethods::password();
        assert_eq!(m.amr(), ["pwd"]);
        assert_eq!(m.aal(), "aal1");
        assert_eq!(m.auth_method(), "password");
    }

    #[test]
    fn password_and_code_is_aal2_with_mfa() {
        let m = AuthMethods::password().with("otp");
        assert_eq!(m.stored(), "pwd otp");
        assert_eq!(m.amr(), ["pwd", "otp", "mfa"]);
        assert_eq!(m.aal(), "aal2");
    }

    #[test]
    fn passkey_alone_is_aal2() {
        let m = AuthMethods::passkey();
        assert_eq!(m.amr(), ["hwk", "user", "mfa"]);
        assert_eq!(m.aal(), "aal2");
        assert_eq!(m.auth_method(), "passkey");
    }

    #[test]
    fn stored_text_round_trips_and_unknown_words_drop() {
        let m = AuthMethods::parse("pwd hwk");
        assert_eq!(AuthMethods::parse(&m.stored()), m);
        assert_eq!(AuthMethods::parse("mfa bogus"), AuthMethods::password());
        assert_eq!(AuthMethods::parse(""), AuthMethods::password());
        assert_eq!(AuthMethods::parse("pwd pwd otp").stored(), "pwd otp");
    }

    #[test]
    fn a_second_password_is_not_a_second_factor() {
        let m = AuthMethods::password().with("pwd");
        assert_eq!(m.aal(), "aal1");
        assert_eq!(AuthMethods::parse("otp hwk").aal(), "aal1");
    }
}
