//! Access-token validations per second on one core (current-thread runtime): the
//! SDK's `Verifier::verify` on a valid token with a warm key cache, next to the bare
//! jsonwebtoken `decode` it wraps and the bare RS256 check with a key parsed once.

#[path = "../tests/common/mod.rs"]
mod common;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tessera_sdk::Verifier;

fn verify(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = common::TestKey::generate("k1");
    let (verifier, token, jwk) = rt.block_on(async {
        let mock = common::start(key.clone()).await;
        let verifier = Verifier::new(&mock.issuer, common::AUDIENCE).unwrap();
        let token = key.access_token(&mock.claims("user-1", common::CLIENT_ID, "branch-a"));
        verifier.verify(&token).await.unwrap(); // warm the key cache
        (verifier, token, key.jwk())
    });

    let mut group = c.benchmark_group("access_token");
    group.throughput(Throughput::Elements(1));
    group.bench_function("Verifier::verify", |b| {
        b.to_async(&rt)
            .iter(|| async { verifier.verify(&token).await.unwrap() })
    });

    let decoding = jsonwebtoken::DecodingKey::from_rsa_components(
        jwk["n"].as_str().unwrap(),
        jwk["e"].as_str().unwrap(),
    )
    .unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&[common::AUDIENCE]);
    group.bench_function("jsonwebtoken::decode (baseline)", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap()
        })
    });
    // The in-process ceiling: the RS256 signature check alone with a key parsed once.
    let parsed = aws_lc_rs::signature::ParsedPublicKey::new(
        &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        key.public_der(),
    )
    .unwrap();
    let (message, signature) = token.rsplit_once('.').unwrap();
    let signature =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
            .unwrap();
    group.bench_function("aws-lc-rs RS256 verify only (ceiling)", |b| {
        b.iter(|| parsed.verify_sig(message.as_bytes(), &signature).unwrap())
    });
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
