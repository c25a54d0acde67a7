//! Nidek RS-232 output from arbitrary bytes: `output::parse`, `decode_output`,
//! `draft_prescription` and `prescription_json` never panic; `decode_output` succeeds exactly when
//! `output::parse` does, with finite values only; line numbers rise; a draft prescription has signed
//! two-decimal powers, an axis only with a cylinder, serialises to JSON, and gives a sphere
//! measurement for each eye.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nidek_rs232::{decode_output, draft_prescription, measure, output, prescription_json};

/// `+10.00`, `-0.25`: a sign, digits, a point and two decimals.
fn is_signed_power(text: &str) -> bool {
    let Some(digits) = text.strip_prefix(['+', '-']) else { return false };
    let Some((whole, fraction)) = digits.split_once('.') else { return false };
    !whole.is_empty()
        && fraction.len() == 2
        && whole.bytes().chain(fraction.bytes()).all(|b| b.is_ascii_digit())
}

fuzz_target!(|data: &[u8]| {
    let parsed = output::parse(data);
    let decoded = decode_output(data);
    assert_eq!(parsed.is_ok(), decoded.is_ok(), "{parsed:?} / {decoded:?}");
    if let Ok(values) = &decoded {
        for m in values {
            assert!(m.value.is_finite(), "{m:?}");
        }
    }
    if let Ok(transmission) = &parsed {
        let numbers: Vec<usize> = transmission
            .blocks
            .iter()
            .flat_map(|b| std::iter::once(b.line).chain(b.lines.iter().map(|l| l.number)))
            .collect();
        assert!(numbers.windows(2).all(|w| w[0] < w[1]), "line numbers {numbers:?}");
    }
    let Ok(draft) = draft_prescription(data) else { return };
    for eye in [&draft.right, &draft.left] {
        assert!(is_signed_power(&eye.sphere.to_string()), "{eye:?}");
        assert!(eye.cylinder.is_none_or(|c| is_signed_power(&c.to_string())), "{eye:?}");
        assert!(eye.add.is_none_or(|a| is_signed_power(&a.to_string())), "{eye:?}");
        assert!(
            eye.axis.is_none_or(|a| (1..=180).contains(&a)) && (eye.axis.is_some() == eye.cylinder.is_some()),
            "{eye:?}"
        );
    }
    prescription_json(data).expect("a draft serialises");
    let values = measure::prescription_measurements(&draft);
    assert_eq!(values.iter().filter(|m| m.name == "sphere").count(), 2, "{values:?}");
    assert!(values.iter().all(|m| m.value.is_finite()), "{values:?}");
});
