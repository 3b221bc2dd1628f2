//! `tessera init` against a running server: registers one public client and writes the
//! env file (0600, other lines kept); a second run changes nothing and asks nothing; a
//! refused token, an unreachable issuer or a bad URL exit non-zero with a message.
mod common;
use common::registration::registration_token;
use common::*;
use reqwest::Method;
use std::path::Path;
use std::process::Output;

const REDIRECT: &str = "http://localhost:3000/callback";

fn init(issuer: &str, token: &str, env_file: &Path) -> Output {
    tessera_command()
        .args(["init", "--issuer", issuer, "--registration-token", token])
        .args(["--redirect-uri", REDIRECT, "--name", "My app", "--env-file"])
        .arg(env_file)
        .output()
        .expect("run tessera init")
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn dynamic_clients(fx: &Fixture) -> Vec<serde_json::Value> {
    let r = fx.admin(Method::GET, "/v1/dynamic-clients", None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["dynamic_clients"].as_array().expect("list").clone()
}

#[tokio::test]
async fn init_registers_once_and_writes_the_env_file() {
    let fx = Fixture::new().await;
    let (_, token) = registration_token(&fx, 5, 600).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let env_file = dir.path().join(".env.local");
    std::fs::write(&env_file, "PORT=3000\n# keep me\n").expect("write env file");

    let first = init(fx.issuer(), &token, &env_file);
    assert!(first.status.success(), "{}", describe(&first));
    let written = std::fs::read_to_string(&env_file).expect("env file");
    assert!(written.starts_with("PORT=3000\n# keep me\n"), "{written}");
    let value = |k: &str| {
        written
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(str::to_string)
    };
    assert_eq!(value("TESSERA_ISSUER").as_deref(), Some(fx.issuer()));
    let client_id = value("TESSERA_CLIENT_ID").expect("TESSERA_CLIENT_ID");
    assert!(
        value("TESSERA_REGISTRATION_ACCESS_TOKEN").is_some(),
        "{written}"
    );
    assert!(
        value("TESSERA_CLIENT_SECRET").is_none(),
        "a public client: {written}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&env_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let clients = dynamic_clients(&fx).await;
    assert_eq!(clients.len(), 1, "{clients:?}");
    assert_eq!(clients[0]["client_id"], client_id.as_str());
    assert_eq!(clients[0]["client_name"], "My app");
    assert_eq!(clients[0]["token_endpoint_auth_method"], "none");
    assert_eq!(clients[0]["redirect_uris"], serde_json::json!([REDIRECT]));

    // Again: nothing changes, nothing is registered (even with a token that would fail).
    let before = std::fs::read(&env_file).unwrap();
    let second = init(fx.issuer(), "not-a-token", &env_file);
    assert!(second.status.success(), "{}", describe(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("nothing to do"));
    assert_eq!(
        std::fs::read(&env_file).unwrap(),
        before,
        "the second run changed the file"
    );
    assert_eq!(dynamic_clients(&fx).await.len(), 1);

    // Refusals exit non-zero with a message, and write nothing.
    let fresh = dir.path().join("other.env");
    let refused = init(fx.issuer(), "not-a-token", &fresh);
    assert!(!refused.status.success(), "{}", describe(&refused));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("refused") && stderr.contains("invalid_token"),
        "{stderr}"
    );
    assert!(!fresh.exists());
    let unreachable = init("http://127.0.0.1:9", &token, &fresh);
    assert!(!unreachable.status.success(), "{}", describe(&unreachable));
    assert!(String::from_utf8_lossy(&unreachable.stderr).contains("cannot reach"));
    let bad = init("not a url", &token, &fresh);
    assert!(!bad.status.success(), "{}", describe(&bad));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a URL"));
    assert!(!fresh.exists());
    assert_eq!(dynamic_clients(&fx).await.len(), 1);
}
