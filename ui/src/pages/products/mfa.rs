//! The product's MFA policy in its settings card: `optional` (default) or `required`,
//! saved with the card's `PATCH /v1/products/{id}` as `"mfa"`.

use leptos::prelude::*;

/// The policies the API takes, what each is called and what it does.
pub(crate) const POLICIES: [(&str, &str, &str); 2] = [
    (
        "optional",
        "Optional",
        "Users sign in with their password alone unless they enrolled a second factor (then they are always asked for it) or MFA is required of them.",
    ),
    (
        "required",
        "Required",
        "Every sign-in to this product needs a second factor; a user without one sets up an authenticator app right after their password.",
    ),
];

/// What a product's `mfa` shows as: an unknown value (a newer server) counts as the default.
pub(crate) fn policy_of(mfa: &str) -> &'static str {
    POLICIES
        .iter()
        .find(|(v, _, _)| *v == mfa)
        .map_or("optional", |(v, _, _)| v)
}

/// Two radio buttons, each with its sentence.
#[component]
pub(crate) fn MfaPolicyField(
    policy: RwSignal<String>,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <fieldset class="field mfa-policy" aria-describedby="product-mfa-error">
            <legend>"Multi-factor sign-in"</legend>
            {POLICIES
                .iter()
                .map(|(value, label, sentence)| {
                    let hint_id = format!("product-mfa-{value}-hint");
                    view! {
                        <label class="check mfa-choice">
                            <input
                                type="radio"
                                name="product-mfa"
                                value=*value
                                aria-describedby=hint_id.clone()
                                prop:checked=move || policy.get() == *value
                                on:change=move |_| policy.set((*value).to_owned())
                            />
                            <span>
                                <strong>{*label}</strong>
                                <span class="hint" id=hint_id>{*sentence}</span>
                            </span>
                        </label>
                    }
                })
                .collect_view()}
            <super::form::FieldError message=message id="product-mfa-error" />
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn unknown_policies_show_as_the_default() {
        assert_eq!(super::policy_of("required"), "required");
        assert_eq!(super::policy_of("optional"), "optional");
        assert_eq!(super::policy_of(""), "optional");
        assert_eq!(super::policy_of("sometimes"), "optional");
    }
}
