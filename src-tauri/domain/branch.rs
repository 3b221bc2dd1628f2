//! Branch context: which branches a user's roles cover, the active branch's groups and
//! scopes, and the granted scope = requested ∩ (OIDC scopes ∪ role scopes), never wider.

use super::scope::OIDC_SCOPES;

/// One role a user holds in one branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub org: String,
    pub branch: String,
    pub branch_name: String,
    pub role: String,
    pub scopes: Vec<String>,
}

/// The active branch of a sign-in: its business, branch, role names and role scopes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BranchContext {
    pub org: String,
    pub branch: String,
    pub groups: Vec<String>,
    pub scopes: Vec<String>,
}

/// What to do at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    /// No memberships: sign in without a branch.
    NoBranch,
    /// Use this branch.
    Use(BranchContext),
    /// Several branches: the user picks one of these (branch id, label).
    Pick(Vec<(String, String)>),
    /// The requested branch is not one the user holds a role in.
    Denied,
}

/// The distinct branches `grants` cover, as (branch id, branch name), in order.
pub fn branches(grants: &[Grant]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for g in grants {
        if !out.iter().any(|(id, _)| *id == g.branch) {
            out.push((g.branch.clone(), g.branch_name.clone()));
        }
    }
    out
}

/// The context of `branch` if the user holds at least one role there.
pub fn context(grants: &[Grant], branch: &str) -> Option<BranchContext> {
    let mut ctx: Option<BranchContext> = None;
    for g in grants.iter().filter(|g| g.branch == branch) {
        let c = ctx.get_or_insert_with(|| BranchContext {
            org: g.org.clone(),
            branch: g.branch.clone(),
            ..BranchContext::default()
        });
        if !c.groups.contains(&g.role) {
            c.groups.push(g.role.clone());
        }
        for s in &g.scopes {
            if !c.scopes.contains(s) {
                c.scopes.push(s.clone());
            }
        }
    }
    ctx
}

/// Decides the branch at sign-in, given the branch the client asked for (if any).
pub fn choose(grants: &[Grant], requested: Option<&str>) -> Choice {
    if let Some(b) = requested {
        return context(grants, b).map_or(Choice::Denied, Choice::Use);
    }
    let all = branches(grants);
    match all.as_slice() {
        [] => Choice::NoBranch,
        [(only, _)] => context(grants, only).map_or(Choice::NoBranch, Choice::Use),
        _ => Choice::Pick(all),
    }
}

/// requested ∩ (OIDC scopes ∪ the active branch's role scopes), in requested order.
pub fn granted_scopes(requested: &[String], ctx: Option<&BranchContext>) -> Vec<String> {
    requested
        .iter()
        .filter(|s| OIDC_SCOPES.contains(&s.as_str()) || ctx.is_some_and(|c| c.scopes.contains(s)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(branch: &str, role: &str, scopes: &[&str]) -> Grant {
        Grant {
            org: "biz".into(),
            branch: branch.into(),
            branch_name: branch.to_uppercase(),
            role: role.into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn chooses_by_count_and_request() {
        assert_eq!(choose(&[], None), Choice::NoBranch);
        assert_eq!(choose(&[], Some("x")), Choice::Denied);
        let one = [g("n", "clerk", &["a"])];
        assert!(matches!(choose(&one, None), Choice::Use(c) if c.branch == "n"));
        let two = [g("n", "clerk", &["a"]), g("s", "boss", &["b"])];
        assert!(matches!(choose(&two, None), Choice::Pick(v) if v.len() == 2));
        assert!(matches!(choose(&two, Some("s")), Choice::Use(c) if c.groups == ["boss"]));
        assert_eq!(choose(&two, Some("w")), Choice::Denied);
    }

    #[test]
    fn intersection_never_widens() {
        let grants = [g("n", "clerk", &["a"]), g("n", "cook", &["b"])];
        let ctx = context(&grants, "n");
        let req: Vec<String> = ["openid", "a", "c"].iter().map(|s| s.to_string()).collect();
        assert_eq!(granted_scopes(&req, ctx.as_ref()), ["openid", "a"]);
        assert_eq!(granted_scopes(&req, None), ["openid"]);
        assert_eq!(
            ctx.map(|c| c.groups),
            Some(vec!["clerk".into(), "cook".into()])
        );
    }
}
