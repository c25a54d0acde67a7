use ils_fake_shopify::Outcome;
use ils_shopify_sync::graphql::{self, response};

use crate::support::start;

#[tokio::test]
async fn a_wrong_token_is_401_with_the_bare_string_the_core_reads() {
    let h = start().await;
    let (status, body) = h.post_as("shpat_wrong", &graphql::locations_page(5, None)).await;
    assert_eq!(status, 401);
    let r = response::parse(&body).unwrap();
    assert_eq!(r.errors.len(), 1);
    assert_eq!(
        r.errors[0].message,
        "[API] Invalid API key or access token (unrecognized login or wrong password)"
    );
    assert!(matches!(response::locations_page(&r), Err(response::ResponseError::Errors { .. })));
}

#[tokio::test]
async fn a_token_revoked_mid_sync_answers_401_from_then_on() {
    let h = start().await;
    h.fake.revoke_token_after(2);
    let token = h.fake.access_token().to_owned();
    let request = graphql::locations_page(5, None);
    assert_eq!(h.post_as(&token, &request).await.0, 200);
    assert_eq!(h.post_as(&token, &request).await.0, 200);
    assert_eq!(h.post_as(&token, &request).await.0, 401);
    assert_eq!(h.post_as(&token, &request).await.0, 401);
    let outcomes: Vec<Outcome> = h.fake.requests().iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Answered, Outcome::Answered, Outcome::Unauthorized, Outcome::Unauthorized]
    );

    let h = start().await;
    h.fake.revoke_token();
    let (status, body) = h.post_as(h.fake.access_token(), &request).await;
    assert_eq!(status, 401);
    assert!(response::parse(&body).unwrap().errors[0].message.starts_with("[API] Invalid API key"));
}

#[tokio::test]
async fn another_api_version_is_404_and_an_unknown_operation_is_an_error() {
    let h = start().await;
    let url = h.fake.endpoint().replace("2026-04", "2025-10");
    let (status, _) =
        h.post_to(&url, h.fake.access_token(), graphql::locations_page(5, None).to_json()).await;
    assert_eq!(status, 404);

    let junk = br#"{"query": "query Nope { shop { name } }"}"#.to_vec();
    let (status, body) = h.post_to(&h.fake.endpoint(), h.fake.access_token(), junk).await;
    assert_eq!(status, 200);
    assert!(!response::parse(&body).unwrap().errors.is_empty());
    let (status, _) = h.post_to(&h.fake.endpoint(), h.fake.access_token(), b"not json".to_vec()).await;
    assert_eq!(status, 400);
}
