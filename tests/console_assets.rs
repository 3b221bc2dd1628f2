//! The console's files at `/console/`: the app shell on deep routes, revalidation with
//! `ETag` / `304 Not Modified`, and gzip for browsers that accept it.
mod common;
use common::*;
use reqwest::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use std::io::Read;

async fn get(srv: &Server, path: &str, headers: &[(reqwest::header::HeaderName, &str)]) -> Reply {
    let mut req = reqwest::Client::new().get(srv.url(path));
    for (name, value) in headers {
        req = req.header(name, *value);
    }
    Reply::read(req.send().await.expect("GET")).await
}

#[tokio::test]
async fn deep_routes_get_the_app_shell_with_its_base() {
    let srv = Server::start();
    let shell = get(&srv, "/console/users/some-id", &[]).await;
    assert_eq!(shell.status, 200);
    assert!(shell.headers[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(
        shell.text.contains("<base href=\"/console/\">"),
        "{}",
        shell.text
    );
    assert_eq!(get(&srv, "/console/nothing.js", &[]).await.status, 404);
}

#[tokio::test]
async fn a_browser_revalidates_instead_of_downloading_again() {
    let srv = Server::start();
    let first = get(&srv, "/console/console.css", &[]).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.headers["cache-control"], "no-cache");
    let etag = first.headers[ETAG].to_str().expect("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() > 10, "{etag}");

    let again = get(&srv, "/console/console.css", &[(IF_NONE_MATCH, &etag)]).await;
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    assert_eq!(again.headers[ETAG].to_str().unwrap(), etag);

    let changed = get(
        &srv,
        "/console/console.css",
        &[(IF_NONE_MATCH, "\"other\"")],
    )
    .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.text, first.text);
}

#[tokio::test]
async fn text_goes_out_gzipped_to_browsers_that_accept_it() {
    let srv = Server::start();
    let plain = get(&srv, "/console/console.css", &[]).await;
    assert!(plain.headers.get(CONTENT_ENCODING).is_none());

    let resp = reqwest::Client::new()
        .get(srv.url("/console/console.css"))
        .header(ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .expect("GET");
    assert_eq!(resp.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(resp.headers()["vary"], "accept-encoding");
    let packed = resp.bytes().await.expect("body");
    assert!(packed.len() < plain.text.len());
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(&packed[..])
        .read_to_string(&mut unpacked)
        .expect("valid gzip");
    assert_eq!(unpacked, plain.text);

    let refused = get(
        &srv,
        "/console/console.css",
        &[(ACCEPT_ENCODING, "gzip;q=0")],
    )
    .await;
    assert!(refused.headers.get(CONTENT_ENCODING).is_none());
}
