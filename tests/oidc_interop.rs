//! The code + PKCE flow driven by the third-party `openidconnect` crate.
mod common;
use common::*;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::reqwest;
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn openidconnect_crate_completes_code_flow_and_verifies_id_token() {
    let fx = Fixture::new().await;
    let http = http_client();
    let issuer = IssuerUrl::new(fx.issuer().to_string()).expect("issuer");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery + JWKS accepted by openidconnect");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(fx.web_client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_string()).expect("redirect"));

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .set_pkce_challenge(challenge)
        .url();

    let back = fx.browser().login(auth_url.as_str(), EMAIL, PASSWORD).await;
    assert!(back.as_str().starts_with(REDIRECT_URI), "{back}");
    assert_eq!(
        param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(param(&back, "iss").as_deref(), Some(fx.issuer()));
    let code = param(&back, "code").expect("code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .expect("token endpoint known")
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange accepted by openidconnect");
    assert!(tokens.refresh_token().is_some(), "no refresh token");
    let id_token = tokens.id_token().expect("ID token present");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("ID token verifies (signature, iss, aud, exp, nonce)");
    assert_eq!(claims.subject().as_str(), fx.user_id);
    assert_eq!(
        claims.email().map(|e| e.as_str()),
        Some(EMAIL),
        "email claim with scope email"
    );
    assert!(claims.email_verified().is_some(), "email_verified");
    assert!(claims.name().is_some(), "name claim with scope profile");
    assert!(claims.auth_time().is_some(), "auth_time");
    if let Some(expected) = claims.access_token_hash() {
        let alg = id_token.signing_alg().expect("alg");
        let key = id_token.signing_key(&verifier).expect("key");
        let actual = AccessTokenHash::from_token(tokens.access_token(), alg, key).expect("hash");
        assert_eq!(&actual, expected, "at_hash");
    }

    // A wrong nonce must be refused by the same verifier: the check above can fail.
    let wrong = Nonce::new("not-the-nonce".into());
    assert!(id_token.claims(&verifier, &wrong).is_err());

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .expect("userinfo endpoint known")
        .request_async(&http)
        .await
        .expect("userinfo accepted by openidconnect");
    assert_eq!(info.subject().as_str(), fx.user_id);
    assert_eq!(info.email().map(|e| e.as_str()), Some(EMAIL));

    let (header, raw) = decode_jwt(&id_token.to_string());
    assert_eq!(header["typ"], "JWT");
    assert!(header["kid"].is_string());
    assert_eq!(raw["amr"], serde_json::json!(["pwd"]));
    assert!(raw["sid"].is_string(), "sid claim: {raw}");
}

#[tokio::test]
async fn openidconnect_refresh_returns_a_rotated_token() {
    let fx = Fixture::new().await;
    let http = http_client();
    let issuer = IssuerUrl::new(fx.issuer().to_string()).expect("issuer");
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .expect("discovery");
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(fx.web_client_id.clone()), None);
    let (_, tokens) = fx.user_tokens("openid email").await;
    let rt = openidconnect::RefreshToken::new(s(&tokens, "refresh_token").to_string());
    let fresh = client
        .exchange_refresh_token(&rt)
        .expect("token endpoint")
        .request_async(&http)
        .await
        .expect("refresh accepted");
    let new_rt = fresh.refresh_token().expect("new refresh token");
    assert_ne!(new_rt.secret(), rt.secret(), "refresh token not rotated");
}
