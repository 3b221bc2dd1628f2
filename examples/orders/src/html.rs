//! Server-rendered HTML: plain forms, no JavaScript. Every dynamic value goes through
//! [`escape`].

use crate::data::{Branch, Order};

/// HTML-escapes text for element content and double-quoted attributes.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn layout(title: &str, body: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Orders</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; padding: 0 1rem; color: #222; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .3rem .6rem; border-bottom: 1px solid #ddd; }}
.error {{ color: #a40000; }}
.muted {{ color: #666; font-size: .9em; }}
form.inline {{ display: inline; }}
section {{ margin: 1.5rem 0; }}
</style>
</head>
<body>
{body}
</body>
</html>
"#,
        title = escape(title),
    )
}

/// The page for a browser without a session: a "Sign in" link, and `notice` (e.g. "your
/// session ended") when given.
pub fn signed_out(notice: Option<&str>) -> String {
    let notice = notice
        .map(|n| format!(r#"<p class="notice">{}</p>"#, escape(n)))
        .unwrap_or_default();
    layout(
        "Welcome",
        &format!(
            r#"<h1>Orders</h1>
{notice}<p>Sign in with your Tessera account to see the orders of your branch.</p>
<p><a id="sign-in" href="/login">Sign in</a></p>"#
        ),
    )
}

/// What the stock service said about the SKUs on the page.
#[derive(Debug)]
pub enum StockView {
    /// No order on the page, so nothing to look up.
    NothingToCheck,
    /// No service token: the issuer refused the client_credentials grant (the message).
    NoToken(String),
    /// Per SKU: the available count, or why the stock service did not tell.
    Items(Vec<(String, Result<u64, String>)>),
}

/// Everything the signed-in page shows.
#[derive(Debug)]
pub struct Dashboard<'a> {
    /// `Name <email>` or the subject.
    pub user: String,
    /// The user id (`sub`).
    pub subject: String,
    /// The active business (`org`).
    pub org: Option<String>,
    /// The active branch id and, when the data file names it, its name.
    pub branch: Option<(String, Option<String>)>,
    /// Scopes of the current access token.
    pub scopes: Vec<String>,
    /// The orders API's answer: the active branch's orders, or the refusal.
    pub orders: Result<Vec<Order>, String>,
    /// Branches the switcher offers.
    pub other_branches: Vec<&'a Branch>,
    /// The stock service's answers.
    pub stock: StockView,
    /// The session's CSRF token for the forms.
    pub csrf_token: &'a str,
}

/// The signed-in page.
pub fn dashboard(d: &Dashboard<'_>) -> String {
    let csrf = format!(
        r#"<input type="hidden" name="csrf_token" value="{}">"#,
        escape(d.csrf_token)
    );
    let branch = match &d.branch {
        Some((id, Some(name))) => format!(
            r#"<strong id="branch-name">{}</strong> <span class="muted" id="branch-id">{}</span>"#,
            escape(name),
            escape(id)
        ),
        Some((id, None)) => format!(r#"<strong id="branch-id">{}</strong>"#, escape(id)),
        None => "<strong>none</strong> (your account has no branch for this product)".into(),
    };
    let org = d
        .org
        .as_deref()
        .map(|o| format!(r#" <span class="muted">business {}</span>"#, escape(o)))
        .unwrap_or_default();
    let switcher = if d.other_branches.is_empty() {
        String::new()
    } else {
        let options: String = d
            .other_branches
            .iter()
            .map(|b| {
                format!(
                    r#"<option value="{}">{}</option>"#,
                    escape(&b.id),
                    escape(&b.name)
                )
            })
            .collect();
        format!(
            r#"<form method="post" action="/switch-branch" class="inline">{csrf}
<label>Switch to <select name="branch">{options}</select></label> <button type="submit">Switch</button></form>"#
        )
    };
    let orders = match &d.orders {
        Ok(orders) if orders.is_empty() => "<p>No orders in this branch yet.</p>".to_string(),
        Ok(orders) => {
            let rows: String = orders
                .iter()
                .map(|o| {
                    format!(
                        r#"<tr class="order" data-id="{id}"><td>{id}</td><td>{sku}</td><td>{qty}</td><td>{customer}</td></tr>"#,
                        id = escape(&o.id),
                        sku = escape(&o.sku),
                        qty = o.quantity,
                        customer = escape(&o.customer),
                    )
                })
                .collect();
            format!(
                "<table><thead><tr><th>Order</th><th>SKU</th><th>Quantity</th><th>Customer</th></tr></thead>\n<tbody>{rows}</tbody></table>"
            )
        }
        Err(why) => format!(
            r#"<p class="error" id="orders-error">The orders API refused: {}</p>"#,
            escape(why)
        ),
    };
    let stock = match &d.stock {
        StockView::NothingToCheck => "<p>No orders, so no stock to check.</p>".to_string(),
        StockView::NoToken(why) => format!(
            r#"<p class="error" id="stock-error">No service token for the stock service: {}</p>"#,
            escape(why)
        ),
        StockView::Items(items) => {
            let lis: String = items
                .iter()
                .map(|(sku, answer)| match answer {
                    Ok(n) => format!(
                        r#"<li class="stock" data-sku="{sku}">{sku}: {n} available</li>"#,
                        sku = escape(sku)
                    ),
                    Err(why) => format!(
                        r#"<li class="stock error" data-sku="{sku}">{sku}: {why}</li>"#,
                        sku = escape(sku),
                        why = escape(why)
                    ),
                })
                .collect();
            format!("<ul>{lis}</ul>")
        }
    };
    let scopes = if d.scopes.is_empty() {
        "none".to_string()
    } else {
        escape(&d.scopes.join(" "))
    };
    layout(
        "Orders",
        &format!(
            r#"<h1>Orders</h1>
<p>Signed in as <strong id="user">{user}</strong> <span class="muted">{subject}</span>
<form method="post" action="/logout" class="inline">{csrf}<button type="submit">Sign out</button></form></p>
<p>Branch: {branch}{org} {switcher}</p>
<p class="muted">Your token grants: <span id="scopes">{scopes}</span></p>
<section id="orders"><h2>Orders of this branch</h2>
{orders}
</section>
<section id="new-order"><h2>New order</h2>
<form method="post" action="/orders">{csrf}
<label>SKU <input name="sku" required maxlength="64"></label>
<label>Quantity <input name="quantity" type="number" min="1" max="10000" value="1" required></label>
<label>Customer <input name="customer" required maxlength="100"></label>
<button type="submit">Create</button>
</form>
<p class="muted">Needs the scope orders:write in this branch.</p>
</section>
<section id="stock"><h2>Stock</h2>
<p class="muted">Asked service-to-service with the product's client_credentials token (scope stock:read).</p>
{stock}
</section>"#,
            user = escape(&d.user),
            subject = escape(&d.subject),
        ),
    )
}

/// An error page: `title`, the explanation and a link back.
pub fn problem(title: &str, detail: &str) -> String {
    layout(
        title,
        &format!(
            r#"<h1>{}</h1>
<p class="error" id="problem">{}</p>
<p><a href="/">Back to the orders</a></p>"#,
            escape(title),
            escape(detail)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_dynamic_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let page = dashboard(&Dashboard {
            user: "<script>".into(),
            subject: "s".into(),
            org: None,
            branch: Some(("b\"1".into(), None)),
            scopes: vec![],
            orders: Ok(vec![Order {
                id: "ord-1".into(),
                sku: "A".into(),
                quantity: 1,
                customer: "<b>Bo</b>".into(),
                created_by: None,
            }]),
            other_branches: vec![],
            stock: StockView::NoToken("invalid_scope: <x>".into()),
            csrf_token: "t",
        });
        assert!(!page.contains("<script>") && !page.contains("<b>Bo"));
        assert!(page.contains("&lt;b&gt;Bo") && page.contains("b&quot;1"));
        assert!(page.contains("invalid_scope: &lt;x&gt;"));
    }
}
