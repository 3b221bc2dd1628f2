//! The emails Tessera sends: a plain-text and an HTML body each, the product's name in
//! the subject, and a link to the issuer's hosted page.

use super::Outgoing;
use maud::{html, DOCTYPE};

/// What the email is about: the product the user signs in to (its name), or Tessera.
pub struct About<'a> {
    pub product: &'a str,
    pub to: &'a str,
}

/// A password-reset email; `link` opens the hosted reset page (valid `valid_for`).
pub fn reset(about: &About<'_>, link: &str, valid_for: &str) -> Outgoing {
    let lines = [
        format!(
            "Someone asked to reset the password of {} for {}.",
            about.to, about.product
        ),
        format!("To choose a new password, open this link (valid for {valid_for}, once):"),
    ];
    let after = "If you did not ask for this, ignore this email: your password stays as it is.";
    build(
        "reset",
        about,
        format!("Reset your {} password", about.product),
        &lines,
        link,
        "Choose a new password",
        after,
    )
}

/// An email-verification email.
pub fn verify(about: &About<'_>, link: &str, valid_for: &str) -> Outgoing {
    let lines = [
        format!(
            "Confirm that {} is your email address for {}.",
            about.to, about.product
        ),
        format!("Open this link to confirm it (valid for {valid_for}):"),
    ];
    let after = "If you did not create an account, ignore this email.";
    build(
        "verify",
        about,
        format!("Confirm your email for {}", about.product),
        &lines,
        link,
        "Confirm my email",
        after,
    )
}

/// An invitation: the user sets a password, then continues to the product.
pub fn invite(about: &About<'_>, link: &str, valid_for: &str) -> Outgoing {
    let lines = [
        format!(
            "You have been invited to {} with {}.",
            about.product, about.to
        ),
        format!("To accept, open this link and choose a password (valid for {valid_for}, once):"),
    ];
    let after = "If you did not expect this invitation, ignore this email.";
    build(
        "invite",
        about,
        format!("You are invited to {}", about.product),
        &lines,
        link,
        "Accept the invitation",
        after,
    )
}

/// The console's "send test email".
pub fn test(to: &str, issuer: &str) -> Outgoing {
    let text = format!(
        "This is a test email from the Tessera identity provider at {issuer}.\n\nEmail works: password resets, verifications and invitations will be delivered.\n"
    );
    let html = html! {
        (DOCTYPE)
        html { body {
            p { "This is a test email from the Tessera identity provider at " (issuer) "." }
            p { "Email works: password resets, verifications and invitations will be delivered." }
        } }
    };
    Outgoing {
        kind: "test",
        to: to.to_string(),
        subject: "Tessera test email".into(),
        text,
        html: html.into_string(),
    }
}

fn build(
    kind: &'static str,
    about: &About<'_>,
    subject: String,
    lines: &[String],
    link: &str,
    button: &str,
    after: &str,
) -> Outgoing {
    let mut text = String::new();
    for l in lines {
        text.push_str(l);
        text.push_str("\n\n");
    }
    text.push_str(link);
    text.push_str("\n\n");
    text.push_str(after);
    text.push('\n');
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (subject) } }
            body style="font-family: system-ui, sans-serif; color: #1f2937; max-width: 36rem; margin: 2rem auto; line-height: 1.5" {
                @for l in lines { p { (l) } }
                p {
                    a href=(link) style="display: inline-block; background: #4f46e5; color: #ffffff; padding: .6rem 1.1rem; border-radius: .4rem; text-decoration: none" { (button) }
                }
                p style="font-size: .85rem; color: #6b7280; word-break: break-all" { "Or copy this address: " (link) }
                p style="font-size: .85rem; color: #6b7280" { (after) }
            }
        }
    };
    Outgoing {
        kind,
        to: about.to.to_string(),
        subject: one_line(&subject),
        text,
        html: html.into_string(),
    }
}

/// A header value on one line (a product name cannot add headers).
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_product_and_escapes_it() {
        let about = About {
            product: "Shop <b>&\r\nBcc: x@y.z",
            to: "ann@example.com",
        };
        let e = reset(
            &about,
            "https://id.example/password/reset?token=abc",
            "1 hour",
        );
        assert!(e.subject.starts_with("Reset your Shop"));
        assert!(!e.subject.contains('\n') && !e.subject.contains('\r'));
        assert!(e.html.contains("Shop &lt;b&gt;&amp;"));
        assert!(e
            .text
            .contains("https://id.example/password/reset?token=abc"));
        assert!(e
            .html
            .contains("href=\"https://id.example/password/reset?token=abc\""));
    }
}
