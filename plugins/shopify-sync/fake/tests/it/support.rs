use ils_fake_shopify::{FakeConfig, FakeShopify, ManualClock};
use ils_shopify_sync::graphql::Request;
use ils_shopify_sync::graphql::response::{self, Response};

pub struct Harness {
    pub fake: FakeShopify,
    pub clock: ManualClock,
}

pub async fn start() -> Harness {
    start_with(|_| {}).await
}

pub async fn start_with(change: impl FnOnce(&mut FakeConfig)) -> Harness {
    let clock = ManualClock::new();
    let mut config = FakeConfig { clock: clock.clone().into(), ..FakeConfig::default() };
    change(&mut config);
    let fake = FakeShopify::start(config).await.expect("the fake starts");
    Harness { fake, clock }
}

impl Harness {
    /// POSTs a request over HTTPS with this token: status and body.
    pub async fn post_as(&self, token: &str, request: &Request) -> (u16, Vec<u8>) {
        self.post_to(&self.fake.endpoint(), token, request.to_json()).await
    }

    pub async fn post_to(&self, url: &str, token: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
        let answer = self
            .fake
            .client()
            .post(url)
            .header("X-Shopify-Access-Token", token)
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await
            .expect("the fake answers");
        let status = answer.status().as_u16();
        (status, answer.bytes().await.expect("a body").to_vec())
    }

    /// POSTs with the right token, expects 200, and parses the envelope with the core.
    pub async fn call(&self, request: &Request) -> Response {
        let (status, body) = self.post_as(self.fake.access_token(), request).await;
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        response::parse(&body).expect("the core reads every answer")
    }
}
