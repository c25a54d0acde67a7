//! Renders every report in every format from a made-up quarter of a busy lab (about 25,000
//! orders), into a folder, and says how long each took and how large it is. For looking at the
//! output, for the figures in docs/adr/026, and — built for a wasm target — for checking that
//! rendering runs there, not only compiles.
//!
//! `cargo run -p ils-reports --example sample --release -- OUT_DIR`

// The in-memory source the tests use, so there is one evaluator of queries outside the host.
#[path = "../tests/it/memory.rs"]
#[allow(dead_code, missing_docs)]
mod memory;

use std::time::Instant;

use ils_reports::records::Value::{self, Float, Int, Null, Text, Time};
use ils_reports::{Context, Format, catalogue, render};
use memory::{Memory, ms, row};

/// xorshift64*: the same made-up data on every run and target.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// 0.0 to 1.0.
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn pick<'a>(&mut self, weighted: &[(&'a str, f64)]) -> &'a str {
        let mut roll = self.unit() * weighted.iter().map(|w| w.1).sum::<f64>();
        for (item, weight) in weighted {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        weighted[weighted.len() - 1].0
    }
}

const QUARTER_START: &str = "2026-01-01";
const DAY_MS: i64 = 86_400_000;

fn lab(dice: &mut Dice) -> Memory {
    let mut m = Memory::default();
    let start = ms(QUARTER_START);
    for _ in 0..25_000 {
        let created = start + (dice.unit() * 90.0 * DAY_MS as f64) as i64;
        let lens = dice.pick(&[
            ("single_vision", 50.0),
            ("varifocal", 30.0),
            ("bifocal", 10.0),
            ("occupational", 10.0),
        ]);
        let status =
            dice.pick(&[("completed", 70.0), ("shipped", 15.0), ("in_production", 10.0), ("cancelled", 5.0)]);
        let base = match lens {
            "single_vision" => 3_500,
            "varifocal" => 14_000,
            "bifocal" => 7_500,
            _ => 9_000,
        };
        let done = matches!(status, "completed" | "shipped");
        let days = 1.0 + (dice.unit() * dice.unit() * 14.0 * 10.0).round() / 10.0;
        m.add(
            "orders",
            row(&[
                ("created_at", Time(created)),
                ("lens_type", Text(lens.into())),
                (
                    "counterpart",
                    Text(
                        dice.pick(&[("Alpha Optical Lab", 5.0), ("Beta Lens Co", 3.0), ("Coastal Lab", 2.0)])
                            .into(),
                    ),
                ),
                ("status", Text(status.into())),
                ("price_minor", Int(base + (dice.unit() * 2_000.0) as i64)),
                ("currency", Text("GBP".into())),
                ("turnaround_days", if done { Float(days) } else { Null }),
            ]),
        );
        if dice.unit() < 0.04 {
            let issue = dice.pick(&[
                ("coating_defect", 4.0),
                ("wrong_power", 2.0),
                ("scratch", 3.0),
                ("axis_error", 1.0),
                ("chipped_edge", 1.0),
            ]);
            let station = dice.pick(&[
                ("surfacing", 3.0),
                ("coating", 4.0),
                ("edging", 2.0),
                ("final_inspection", 1.0),
            ]);
            m.add(
                "quality",
                row(&[
                    ("at", Time(created + DAY_MS)),
                    ("issue", Text(issue.into())),
                    ("station", Text(station.into())),
                    ("remade", Int(i64::from(dice.unit() < 0.6))),
                ]),
            );
        }
    }
    for sku in 0..300 {
        for location in ["Main store", "Edging room"] {
            let received = dice.unit() > 0.1;
            let on_hand = (dice.unit() * 40.0) as i64;
            let reorder_point = 5 + (dice.unit() * 10.0) as i64;
            let unit = 200 + (dice.unit() * 3_000.0) as i64;
            let priced = |v: i64| if received { Int(v) } else { Null };
            m.add(
                "stock_levels",
                row(&[
                    ("sku", Text(format!("LB-{sku:04}"))),
                    ("name", Text(format!("Lens blank {sku}"))),
                    ("location", Text(location.into())),
                    ("on_hand", Int(on_hand)),
                    ("reorder_point", Int(reorder_point)),
                    ("unit_value_minor", priced(unit)),
                    ("value_minor", priced(unit * on_hand)),
                    ("currency", if received { Text("GBP".into()) } else { Null }),
                    ("below_reorder", Int(i64::from(on_hand < reorder_point))),
                ]),
            );
        }
    }
    for _ in 0..3_000 {
        let kind = dice.pick(&[
            ("receipt", 3.0),
            ("adjustment", 1.0),
            ("transfer_out", 1.0),
            ("transfer_in", 1.0),
            ("count", 0.5),
        ]);
        let delta =
            (dice.unit() * 20.0) as i64 * if matches!(kind, "transfer_out" | "adjustment") { -1 } else { 1 };
        let value: Value = if dice.unit() < 0.9 { Int(delta * 800) } else { Null };
        m.add(
            "stock_movements",
            row(&[
                ("at", Time(start + (dice.unit() * 90.0 * DAY_MS as f64) as i64)),
                ("kind", Text(kind.into())),
                ("delta", Int(delta)),
                ("value_minor", value),
            ]),
        );
    }
    let suppliers = ["Essilor UK", "Hoya Lens", "Zeiss Vision", "Rodenstock", "Shamir", "Norville"];
    for po in 0..120 {
        let supplier = suppliers[po % suppliers.len()];
        let lead = 2.0 + dice.unit() * (2 + po % 6) as f64 * 3.0;
        for _ in 0..(1 + dice.next() % 5) {
            let ordered = 5 + (dice.unit() * 50.0) as i64;
            let received = if dice.unit() < 0.85 { ordered } else { (ordered as f64 * dice.unit()) as i64 };
            m.add(
                "purchase_lines",
                row(&[
                    ("created_at", Time(start + (po as i64 * 3 * DAY_MS) / 4)),
                    ("supplier", Text(supplier.into())),
                    ("number", Text(format!("PO-{po:05}"))),
                    (
                        "status",
                        Text(if received == ordered { "received" } else { "partially_received" }.into()),
                    ),
                    ("ordered", Int(ordered)),
                    ("received", Int(received)),
                    ("lead_time_days", if received > 0 { Float((lead * 10.0).round() / 10.0) } else { Null }),
                ]),
            );
        }
    }
    m
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| ".".into());
    let built = Instant::now();
    let source = lab(&mut Dice(0x1CE_B00C));
    eprintln!("made-up data: {} ms", built.elapsed().as_millis());
    let ctx =
        Context { practice_name: "Northgate Optical Laboratory".into(), generated_at_ms: 1_775_035_859_000 };
    let params = r#"{"period": {"start": "2026-01-01", "end": "2026-04-01"}}"#;
    for report in catalogue() {
        for format in Format::ALL {
            let started = Instant::now();
            let rendered = match render(report.id, params, format, &source, &ctx) {
                Ok(rendered) => rendered,
                Err(e) => {
                    eprintln!("{} as {format:?}: {e}", report.id);
                    std::process::exit(1);
                }
            };
            let took = started.elapsed();
            let path = std::path::Path::new(&out).join(&rendered.file_name);
            if let Err(e) = std::fs::write(&path, &rendered.body) {
                eprintln!("{}: {e}", path.display());
                std::process::exit(1);
            }
            eprintln!(
                "{:<48} {:>8} bytes {:>6} ms",
                rendered.file_name,
                rendered.body.len(),
                took.as_millis()
            );
        }
    }
}
