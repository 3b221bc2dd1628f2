//! The warning an `http://` issuer on the network gets (in the desktop window's server
//! settings and first-run setup), with the checkbox that accepts it. Sign-in traffic and
//! session cookies to such an issuer cross the network in clear; the shell refuses it
//! unless the person ticked the box (`insecureHttp: true`).

use std::net::IpAddr;

use leptos::prelude::*;

/// An `http://` URL whose host is not this computer (`localhost`, 127.0.0.0/8, `::1`).
pub fn insecure_http(url: &str) -> bool {
    let Some(rest) = url.trim().strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        host_port.split(':').next().unwrap_or("")
    };
    let host = host.to_ascii_lowercase();
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    !loopback
}

/// Shown while `issuer` is an insecure http:// URL: what it means, and the box to tick.
/// `missing` is the error shown under the box (when the form was submitted without it).
#[component]
pub fn InsecureHttpWarning(
    #[prop(into)] issuer: Signal<String>,
    accepted: RwSignal<bool>,
    #[prop(into)] missing: Signal<Option<&'static str>>,
    /// Prefix of the element ids (two forms may be on one page one day).
    id: &'static str,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    view! {
        <Show when=move || insecure_http(&issuer.get())>
            <div class="notice stack-tight" id=id>
                <p>
                    <strong>"This issuer is not encrypted. "</strong>
                    "With an http:// address on the network, anyone on the network path can read sign-in traffic and session cookies, "
                    "and take over the sessions they see. Use https:// (for example behind a reverse proxy with a certificate); "
                    "keep http:// for this computer only (127.0.0.1 or localhost)."
                </p>
                <label class="check">
                    <input type="checkbox"
                        aria-describedby=error_id.clone()
                        prop:checked=accepted
                        on:change=move |ev| accepted.set(event_target_checked(&ev)) />
                    "Use this http:// address anyway: I accept that sign-in traffic can be read on the network"
                </label>
                <span id=error_id.clone() class="field-error">{move || missing.get()}</span>
            </div>
        </Show>
    }
}

/// The error under the box: an insecure issuer was submitted without ticking it.
pub const NOT_ACCEPTED: &str = "Use an https:// issuer, or tick the box above to accept the risk.";
