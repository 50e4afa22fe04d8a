//! The OpenAPI document is complete: every route under `/api/v1/` that the router registers (in
//! `src/lib.rs` or in an area module that owns its routes) is in `/api/openapi.json` with its
//! method, and the document names no `/api/v1/` operation the router does not serve.

use super::*;

use std::collections::BTreeSet;

/// (METHOD, path) of every `.route("…", …)` call in the server's source files.
fn source_routes() -> BTreeSet<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        for (at, _) in src.match_indices(".route(") {
            let start = at + ".route(".len();
            let mut depth = 1;
            let mut end = start;
            for (i, ch) in src[start..].char_indices() {
                match ch {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = start + i;
                    break;
                }
            }
            let call = &src[start..end];
            let Some(route) = call.split('"').nth(1) else {
                continue;
            };
            for (needle, method) in [
                ("get(", "GET"),
                ("post(", "POST"),
                ("put(", "PUT"),
                ("patch(", "PATCH"),
                ("delete(", "DELETE"),
            ] {
                if call.contains(needle) {
                    out.insert((method.to_owned(), route.to_owned()));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn every_api_route_of_the_router_is_in_the_openapi_document() {
    let routes: BTreeSet<(String, String)> = source_routes()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/api/v1/"))
        .collect();
    // The routes known when this test was written are found (the scan works).
    for known in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/members"),
        ("POST", "/api/v1/assess"),
        ("POST", "/api/v1/operations"),
        ("POST", "/api/v1/operations/batch"),
        ("POST", "/api/v1/transmissions"),
        ("GET", "/api/v1/transmissions"),
    ] {
        assert!(
            routes.contains(&(known.0.to_owned(), known.1.to_owned())),
            "{known:?} not found in the sources: {routes:?}"
        );
    }
    let addr = spawn().await;
    let r = request(addr, "GET", "/api/openapi.json", &[], "").await;
    assert_eq!(r.status, 200);
    let doc = r.json();
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(p, _)| p.starts_with("/api/v1/"))
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str()))
                .map(|m| (m.to_ascii_uppercase(), p.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    let missing: Vec<_> = routes.difference(&documented).collect();
    assert!(
        missing.is_empty(),
        "routes of the router missing from /api/openapi.json (add #[utoipa::path] and register \
         the handler in crate::api::ApiDoc or an area's merged document): {missing:?}"
    );
    let stale: Vec<_> = documented.difference(&routes).collect();
    assert!(
        stale.is_empty(),
        "operations in /api/openapi.json that the router does not serve: {stale:?}"
    );
    // The account routes carry their response schemas.
    for schema in ["Me", "ApiMember", "BatchCreated", "TransmissionView"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema} missing"
        );
    }
}
