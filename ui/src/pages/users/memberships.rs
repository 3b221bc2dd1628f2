//! The user's memberships, read-only: business, branch (or every branch) and role, with
//! names looked up from the businesses API. They are edited on the business's page.

use std::collections::HashMap;

use leptos::prelude::*;

use super::detail::Ctx;
use crate::api;
use crate::components::time::{local, relative};
use crate::components::{Empty, EmptyAction, Loading};
use crate::pages::products::hooks::load_failed;

use tessera_proto::businesses::{BranchList, BusinessList, MembershipList, RoleList};

/// One row as shown.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    id: String,
    business_id: String,
    business: String,
    branch: String,
    role: String,
    created_at: i64,
}

async fn load(user_id: String) -> Result<Vec<Row>, api::ApiError> {
    let list =
        api::get::<MembershipList>(&format!("/v1/memberships?user_id={}", api::enc(&user_id)))
            .await?
            .memberships;
    if list.is_empty() {
        return Ok(Vec::new());
    }
    // Names are a nicety: a failed lookup shows the id instead.
    let mut names: HashMap<String, String> = HashMap::new();
    if let Ok(b) = api::get::<BusinessList>("/v1/businesses").await {
        names.extend(b.businesses.into_iter().map(|n| (n.id, n.name)));
    }
    let mut seen = Vec::new();
    for m in &list {
        if seen.contains(&m.business_id) {
            continue;
        }
        seen.push(m.business_id.clone());
        let base = format!("/v1/businesses/{}", api::enc(&m.business_id));
        if let Ok(b) = api::get::<BranchList>(&format!("{base}/branches")).await {
            names.extend(b.branches.into_iter().map(|n| (n.id, n.name)));
        }
        if let Ok(r) = api::get::<RoleList>(&format!("{base}/roles")).await {
            names.extend(r.roles.into_iter().map(|n| (n.id, n.name)));
        }
    }
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_string());
    Ok(list
        .into_iter()
        .map(|m| Row {
            business: name(&m.business_id),
            branch: m
                .branch_id
                .as_deref()
                .map_or_else(|| "All branches".to_string(), name),
            role: name(&m.role_id),
            id: m.id,
            business_id: m.business_id,
            created_at: m.created_at,
        })
        .collect())
}

#[component]
pub(crate) fn MembershipsCard(ctx: Ctx) -> impl IntoView {
    let rows = LocalResource::new(move || load(ctx.id.get_value()));
    view! {
        <div class="card">
            <h2 class="card-title">"Memberships"</h2>
            <p class="muted">"Roles this user holds in businesses. Change them on the business's page."</p>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <Empty
                                    title="No memberships"
                                    hint="Give this user a role in a business from Businesses → the business → Memberships."
                                    action=EmptyAction::link("Open businesses", "/console/businesses")
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => view! { <MembershipTable list=list /> }.into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
fn MembershipTable(list: Vec<Row>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table">
                <thead>
                    <tr>
                        <th scope="col">"Business"</th>
                        <th scope="col">"Branch"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Since"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|r| {
                            let href = format!("/console/businesses/{}", api::enc(&r.business_id));
                            view! {
                                <tr data-id=r.id>
                                    <td><a href=href>{r.business}</a></td>
                                    <td>{r.branch}</td>
                                    <td>{r.role}</td>
                                    <td title=local(r.created_at)>{relative(r.created_at)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
