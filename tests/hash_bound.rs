//! The password-hashing bound (PRODUCT.md "Sign-in protection"): with
//! `--hash-concurrency 1`, a burst of wrong-password logins from many client IPs gets some
//! `503` + `Retry-After` (never another 5xx), memory stays bounded, one IP cannot hold more
//! than its share, and a real user signs in afterwards.
mod common;
use common::*;

const WRONG: &str = "not the password at all";

/// Peak resident memory of a process in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM");
    kb / 1024
}

/// Browsers from `ips`, each with a login form open.
async fn open_forms(fx: &Fixture, ips: &[String]) -> Vec<(Browser, LoginForm)> {
    let mut out = Vec::new();
    for ip in ips {
        let b = fx.browser_from(ip);
        let form = b.start_login(&fx.authorize(&[]).url).await;
        out.push((b, form));
    }
    out
}

/// Fires one wrong-password login per browser at once; returns the answers.
async fn burst(forms: &[(Browser, LoginForm)], tag: &str) -> Vec<Answer> {
    futures_join_all(forms.iter().enumerate().map(|(i, (b, form))| async move {
        b.submit_login(form, &format!("{tag}{i}@example.com"), WRONG)
            .await
    }))
    .await
}

#[tokio::test]
async fn a_login_burst_meets_the_hashing_bound() {
    let fx = Fixture::with_args(&["--hash-concurrency", "1"]).await;

    // 60 logins from 30 addresses (2 each: within the per-IP share), unknown emails (each
    // costs a hash all the same), all at once.
    let ips: Vec<String> = (0..60).map(|i| format!("127.0.1.{}", 10 + i / 2)).collect();
    let forms = open_forms(&fx, &ips).await;
    let answers = burst(&forms, "victim").await;
    let mut busy = 0;
    for a in &answers {
        match a.status.as_u16() {
            401 => {}
            503 => {
                busy += 1;
                let secs: u64 = a
                    .retry_after
                    .as_deref()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| panic!("503 without Retry-After: {a:?}"));
                assert!((1..=60).contains(&secs), "{secs}");
                assert!(a.body.contains("busy"), "{}", a.body);
                assert!(
                    a.body.contains("name=\"password\""),
                    "the form stays: {}",
                    a.body
                );
            }
            other => panic!("unexpected {other}: {a:?}"),
        }
    }
    assert!(
        busy > 0,
        "no 503 out of {} concurrent logins",
        answers.len()
    );
    assert!(busy < answers.len(), "everything refused");

    // One address firing 6 at once keeps 2 places; the rest are refused at once.
    let one: Vec<String> = (0..6).map(|_| "127.0.2.1".to_string()).collect();
    let forms = open_forms(&fx, &one).await;
    let answers = burst(&forms, "solo").await;
    let refused = answers.iter().filter(|a| a.status == 503).count();
    assert!(
        answers.iter().all(|a| a.status == 401 || a.status == 503),
        "{answers:#?}"
    );
    assert!(
        refused >= 1,
        "one IP held more than its share: {answers:#?}"
    );

    // 80+ argon2id hashes of 19 MiB went through; at most one ran at a time.
    let peak = peak_rss_mib(fx.srv.pid());
    assert!(peak < 150, "server peak RSS {peak} MiB");

    // The real user signs in afterwards.
    let user = fx.browser_from("127.0.3.1");
    let back = user.login(&fx.authorize(&[]).url, EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
}
