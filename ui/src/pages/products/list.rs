//! The products list: every registered product, filtered by name or client id in the
//! browser (the API returns them all), 50 per page.

use super::ProductExt;
use leptos::prelude::*;

use super::hooks::load_failed;
use super::{Product, ProductList};
use crate::api;
use crate::app::navigate;
use crate::components::time::{local, relative};
use crate::components::{Empty, EmptyAction, Loading, PageHeader, Pager};

const PAGE: usize = 50;

#[component]
pub fn ProductsPage() -> impl IntoView {
    let products = LocalResource::new(|| async {
        api::get::<ProductList>("/v1/products")
            .await
            .map(|l| l.products)
    });
    let has_any = move || {
        products
            .get()
            .and_then(Result::ok)
            .is_some_and(|p| !p.is_empty())
    };

    view! {
        <section class="page products-page">
            <PageHeader
                title="Products"
                subtitle="Apps that sign users in with Tessera, and their API clients.".to_string()
            >
                <Show when=has_any>
                    <RegisterButton />
                </Show>
            </PageHeader>
            <Transition fallback=|| view! { <Loading /> }>
                {move || Suspend::new(async move {
                    match products.await {
                        Ok(list) if list.is_empty() => {
                            view! {
                                <Empty
                                    title="No products yet — register your first app"
                                    hint="A product gets a client id for signing users in (code + PKCE) and, if it needs one, a server client for service-to-service calls."
                                    action=EmptyAction::button("Register a product", || navigate("/console/products/new"))
                                />
                            }
                                .into_any()
                        }
                        Ok(list) => view! { <ProductTable list=list /> }.into_any(),
                        Err(e) => load_failed(e),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RegisterButton() -> impl IntoView {
    view! {
        <button type="button" class="btn btn-primary" on:click=move |_| navigate("/console/products/new")>
            "Register a product"
        </button>
    }
}

/// The filter, the table of the products matching it (a page of them) and the pager.
#[component]
fn ProductTable(list: Vec<Product>) -> impl IntoView {
    let total = list.len();
    let filter = RwSignal::new(String::new());
    let page = RwSignal::new(0usize);
    let matching = Memo::new(move |_| {
        let needle = filter.get().trim().to_lowercase();
        list.iter()
            .filter(|p| {
                needle.is_empty()
                    || p.name.to_lowercase().contains(&needle)
                    || p.web_client_id().to_lowercase().contains(&needle)
                    || p.server_client
                        .as_ref()
                        .is_some_and(|s| s.client_id.to_lowercase().contains(&needle))
                    || p.id.contains(&needle)
            })
            .cloned()
            .collect::<Vec<Product>>()
    });
    let shown = move || {
        let all = matching.get();
        let start = (page.get() * PAGE).min(all.len());
        all[start..(start + PAGE).min(all.len())].to_vec()
    };
    view! {
        <div class="toolbar">
            <div class="field field-inline">
                <label for="products-filter">"Filter products"</label>
                <input
                    id="products-filter"
                    class="input"
                    type="search"
                    placeholder="Name or client id"
                    autocomplete="off"
                    prop:value=move || filter.get()
                    on:input=move |ev| {
                        filter.set(event_target_value(&ev));
                        page.set(0);
                    }
                />
            </div>
            <span class="spacer"></span>
            <span class="muted">
                {move || {
                    let n = matching.get().len();
                    if n == total {
                        format!("{total} product{}", if total == 1 { "" } else { "s" })
                    } else {
                        format!("{n} of {total}")
                    }
                }}
            </span>
        </div>
        <Show
            when=move || !matching.get().is_empty()
            fallback=move || {
                view! {
                    <Empty
                        title="No product matches"
                        hint=format!(
                            "Nothing is named or has a client id like “{}”. Clear the filter to see all products.",
                            filter.get().trim(),
                        )
                        action=EmptyAction::button("Clear the filter", move || {
                            filter.set(String::new());
                            page.set(0);
                        })
                    />
                }
            }
        >
            <div class="table-wrap">
                <table class="table products-table">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Client ID"</th>
                            <th scope="col" class="num">"Redirect URIs"</th>
                            <th scope="col">"Server client"</th>
                            <th scope="col">"Created"</th>
                        </tr>
                    </thead>
                    <tbody>
                        <For each=shown key=|p| p.id.clone() let:p>
                            <ProductRow p=p />
                        </For>
                    </tbody>
                </table>
            </div>
            <Show when=move || { matching.get().len() > PAGE }>
                <Pager
                    has_prev=Signal::derive(move || page.get() > 0)
                    has_next=Signal::derive(move || (page.get() + 1) * PAGE < matching.get().len())
                    on_prev=Callback::new(move |()| page.update(|p| *p = p.saturating_sub(1)))
                    on_next=Callback::new(move |()| page.update(|p| *p += 1))
                />
            </Show>
        </Show>
    }
}

#[component]
fn ProductRow(p: Product) -> impl IntoView {
    let href = format!("/console/products/{}", api::enc(&p.id));
    let uris = p.redirect_uris().len();
    let client_id = p.web_client_id();
    let server = p.server_client.is_some();
    view! {
        <tr>
            <td>
                <a href=href class="row-link">{p.name.clone()}</a>
            </td>
            <td class="mono">{client_id}</td>
            <td class="num">{uris}</td>
            <td>
                {if server {
                    view! { <span class="badge badge-ok">"Yes"</span> }.into_any()
                } else {
                    view! { <span class="badge badge-muted">"No"</span> }.into_any()
                }}
            </td>
            <td title=local(p.created_at)>{relative(p.created_at)}</td>
        </tr>
    }
}
