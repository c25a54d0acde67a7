//! A bulk export from arbitrary text. Properties: parsing never panics; what it accepts is
//! written back as JSONL that parses to the same products, with every variant kept.
#![no_main]

use ils_shopify_sync::graphql::bulk::{parse_products, to_jsonl, variants};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(products) = parse_products(text) else { return };
    let written = to_jsonl(&products);
    let again = parse_products(&written).expect("written JSONL parses");
    assert_eq!(again, products);
    assert_eq!(variants(&again).len(), products.iter().map(|p| p.variants.len()).sum::<usize>());
});
