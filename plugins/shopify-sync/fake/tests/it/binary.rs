//! The `ils-fake-shopify` binary, as the browser tests run it: it prints how to reach the shop,
//! the shop answers over TLS with the certificate it printed, and its controls sell on request.

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use ils_fake_shopify::remote::ShopInfo;
use ils_shopify_sync::webhook::Topic;
use ils_shopify_sync::webhook::payload::Payload;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_ils-fake-shopify");

/// The running binary, killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start(args: &[&str]) -> (Running, ShopInfo) {
    let mut child = Command::new(BIN).args(args).stdout(Stdio::piped()).spawn().expect("the binary runs");
    let stdout = child.stdout.take().expect("its output");
    let running = Running(child);
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).expect("one line");
    (running, serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}")))
}

/// A client trusting only the printed certificate, sending the shop's name to its address.
fn client(info: &ShopInfo) -> reqwest::Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(info.cert_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let addr: SocketAddr = info.address.parse().unwrap();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .resolve(&info.domain, addr)
        .no_proxy()
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_binary_prints_how_to_reach_its_seeded_shop_and_sells_on_request() {
    let (_running, info) = start(&["--product", "RB-2140-50=7", "--product", "GIFT-25=3"]);
    assert_eq!(info.domain, "lenses.myshopify.com");
    assert_eq!(info.connect_to, format!("lenses.myshopify.com:443={}", info.address));
    assert_eq!(
        info.products.iter().map(|p| (p.sku.as_str(), p.available)).collect::<Vec<_>>(),
        [("RB-2140-50", 7), ("GIFT-25", 3)]
    );

    // The Admin API, over TLS, trusting only the printed certificate.
    let query = json!({
        "query": "query IlsLocations($first: Int!) { locations(first: $first) { pageInfo { hasNextPage endCursor } nodes { id name isActive } } }",
        "variables": { "first": 10 },
    });
    let answer = client(&info)
        .post(format!("https://{}/admin/api/2026-04/graphql.json", info.domain))
        .header("X-Shopify-Access-Token", &info.access_token)
        .body(query.to_string())
        .send()
        .await
        .expect("the shop answers over TLS");
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["data"]["locations"]["nodes"][0]["name"], "Shop front", "{body}");

    // A sale in the shop: its webhook body is Shopify's, and the shop's stock moved.
    let http = client(&info); // plain HTTP for the controls; the same client will do
    let sold: Value = http
        .post(format!("{}/sell", info.control))
        .json(&json!({ "sku": "RB-2140-50", "quantity": 2 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sold["topic"], "orders/create");
    let Payload::Order(order) =
        Payload::parse(&Topic::OrdersCreate, sold["body"].as_str().unwrap().as_bytes()).unwrap()
    else {
        panic!("an order: {sold}")
    };
    assert_eq!(order.id.to_string(), sold["order_id"].as_str().unwrap());
    assert_eq!(order.line_items[0].sku.as_deref(), Some("RB-2140-50"));
    let available = |sku: &'static str| {
        let (http, control) = (http.clone(), info.control.clone());
        async move {
            let answer = http.get(format!("{control}/available/{sku}")).send().await.unwrap();
            (answer.status().as_u16(), answer.json::<Value>().await.unwrap())
        }
    };
    assert_eq!(available("RB-2140-50").await, (200, json!({ "available": 5 })));
    assert_eq!(available("NO-SUCH").await.0, 422);
    let shop: ShopInfo =
        http.get(format!("{}/shop", info.control)).send().await.unwrap().json().await.unwrap();
    assert_eq!(shop, info);
}

#[test]
fn a_bad_product_is_refused_with_its_value_named() {
    let out = Command::new(BIN).args(["--product", "RB-2140-50"]).output().unwrap();
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("\"RB-2140-50\": expected SKU=AVAILABLE"), "{said}");
}
