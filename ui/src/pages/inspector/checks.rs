//! Every reason a resource server would refuse a token, from what can be checked
//! without the signature: algorithm, type, key id, issuer, expiry, not-before, and the
//! scope and audience the user says their API needs.

use serde_json::{Map, Value};

use super::claims::{self, Kind};
use super::verify;
use crate::components::time;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// A resource server refuses the token.
    Refuse,
    /// Worth knowing, not a refusal by itself.
    Note,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub level: Level,
    pub text: String,
}

fn refuse(text: impl Into<String>) -> Finding {
    Finding {
        level: Level::Refuse,
        text: text.into(),
    }
}

fn note(text: impl Into<String>) -> Finding {
    Finding {
        level: Level::Note,
        text: text.into(),
    }
}

/// What the checks look at.
pub struct Context<'a> {
    /// `None` when an audit event recorded no header.
    pub header: Option<&'a Map<String, Value>>,
    pub claims: &'a Map<String, Value>,
    /// This console's issuer (from discovery), once known.
    pub issuer: Option<&'a str>,
    /// The JWKS keys are looked up in, once known, and how to name it.
    pub jwks: Option<(&'a Value, &'a str)>,
    pub now: i64,
    /// Space-separated scopes the user's API needs (may be empty).
    pub required_scope: &'a str,
    /// The audience the user's API expects (may be empty).
    pub expected_audience: &'a str,
}

/// A moment as local time plus a coarse "3 min ago" (coarse, so the list of reasons
/// does not change every second while the countdown runs).
fn when(ts: i64, now: i64) -> String {
    let delta = ts - now;
    let span = delta.unsigned_abs();
    let coarse = match span {
        0..=59 => "less than a minute".to_owned(),
        _ => time::duration(span - span % 60),
    };
    let rel = if delta >= 0 {
        format!("in {coarse}")
    } else {
        format!("{coarse} ago")
    };
    format!("{rel}, at {}", time::local(ts))
}

pub fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let kind = claims::kind(ctx.header, ctx.claims);

    match ctx.header {
        None => out.push(note(
            "This event recorded no token header (it predates header recording), so the \
             algorithm, type and key id cannot be checked.",
        )),
        Some(header) => header_checks(header, kind, ctx, &mut out),
    }

    // Issuer.
    match (ctx.claims.get("iss").and_then(Value::as_str), ctx.issuer) {
        (None, _) => out.push(refuse(
            "No issuer (iss): a resource server cannot tell who minted the token.",
        )),
        (Some(iss), Some(ours)) if iss != ours => out.push(refuse(format!(
            "Wrong issuer: minted by “{iss}”, but this console's issuer is “{ours}”."
        ))),
        _ => {}
    }

    // Lifetime.
    match ctx.claims.get("exp") {
        None => out.push(refuse(
            "No expiry (exp): resource servers refuse tokens that never expire.",
        )),
        Some(v) => match v.as_i64() {
            None => out.push(refuse("The expiry (exp) is not a number of seconds.")),
            Some(exp) if ctx.now >= exp => {
                out.push(refuse(format!("Expired {}.", when(exp, ctx.now))))
            }
            Some(_) => {}
        },
    }
    if let Some(nbf) = ctx.claims.get("nbf").and_then(Value::as_i64) {
        if ctx.now < nbf {
            out.push(refuse(format!(
                "Not valid yet: usable {}.",
                when(nbf, ctx.now)
            )));
        }
    }
    if let Some(iat) = ctx.claims.get("iat").and_then(Value::as_i64) {
        if iat > ctx.now + 60 {
            out.push(note(format!(
                "Issued in the future ({}): the issuer's clock and this computer's disagree.",
                when(iat, ctx.now)
            )));
        }
    }

    // What the user's API needs.
    let wanted: Vec<&str> = ctx.required_scope.split_whitespace().collect();
    if !wanted.is_empty() {
        match claims::scopes(ctx.claims) {
            None => {
                for s in &wanted {
                    out.push(refuse(format!(
                        "Missing scope “{s}”: the token carries no scope claim."
                    )));
                }
            }
            Some(have) => {
                for s in wanted.iter().filter(|s| !have.iter().any(|h| h == *s)) {
                    let granted = if have.is_empty() {
                        "none".to_owned()
                    } else {
                        have.join(" ")
                    };
                    out.push(refuse(format!(
                        "Missing scope “{s}”: the token grants {granted}."
                    )));
                }
            }
        }
    }
    let expected = ctx.expected_audience.trim();
    if !expected.is_empty() {
        match claims::audiences(ctx.claims) {
            None => out.push(refuse(format!(
                "Audience mismatch: the token names no audience (aud), expected “{expected}”."
            ))),
            Some(auds) if !auds.iter().any(|a| a == expected) => out.push(refuse(format!(
                "Audience mismatch: the token is for “{}”, not “{expected}”.",
                auds.join("”, “")
            ))),
            _ => {}
        }
    }
    out
}

fn header_checks(
    header: &Map<String, Value>,
    kind: Kind,
    ctx: &Context<'_>,
    out: &mut Vec<Finding>,
) {
    match header.get("alg").and_then(Value::as_str) {
        None => out.push(refuse("The header names no signature algorithm (alg).")),
        Some(alg) if alg.eq_ignore_ascii_case("none") => out.push(refuse(
            "The algorithm is “none”: the token is unsigned, so anyone could have written \
             it. Never accepted.",
        )),
        Some("RS256") => {}
        Some(alg) => out.push(refuse(format!(
            "Signed with {alg}, not RS256: this issuer signs RS256 only, and resource \
             servers accept only the algorithm they expect."
        ))),
    }

    let typ = header.get("typ").and_then(Value::as_str);
    if !typ.is_some_and(claims::is_at_jwt) {
        let shown = typ
            .map(|t| format!("“{t}”"))
            .unwrap_or_else(|| "missing".into());
        out.push(refuse(match kind {
            Kind::Id => format!(
                "This is an ID token, not an access token: it proves a sign-in to the app \
                 that asked for it, and APIs refuse it (its type is {shown}, not “at+jwt”)."
            ),
            _ => format!(
                "The type (typ) is {shown}, not “at+jwt”: RFC 9068 resource servers refuse \
                 access tokens without it (it stops other JWTs being passed off as access \
                 tokens)."
            ),
        }));
    }

    match header.get("kid").and_then(Value::as_str) {
        None => out.push(refuse(
            "The header names no key id (kid), so a resource server cannot pick the key \
             to verify it with.",
        )),
        Some(kid) => {
            if let Some((jwks, source)) = ctx.jwks {
                if verify::find_key(jwks, Some(kid)).is_none() {
                    out.push(refuse(format!(
                        "Unknown signing key: kid “{kid}” is not in {source}. The key was \
                         retired and has since been removed, or another issuer signed the token."
                    )));
                }
            }
        }
    }
}
