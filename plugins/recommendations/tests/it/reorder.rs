use ils_recommendations::forecast::{DemandHistory, forecast};
use ils_recommendations::reorder::{
    Distribution, OrderQuantityRule, PurchaseOrder, ReorderQuery, ReorderSuggestion, ServiceTarget,
    lead_time, reorder_point,
};
use jiff::civil::{Date, date};

use crate::support::Rng;

#[test]
fn lead_time_is_measured_from_sending_to_first_receipt_ignoring_open_orders() {
    let po = |sent: Date, got: Option<Date>| PurchaseOrder { sent, first_receipt: got };
    let orders = [
        po(date(2026, 1, 5), Some(date(2026, 1, 12))), // 7 days
        po(date(2026, 2, 2), Some(date(2026, 2, 13))), // 11 days
        po(date(2026, 3, 2), Some(date(2026, 3, 11))), // 9 days
        po(date(2026, 3, 30), None),                   // still open
    ];
    let lt = lead_time(&orders).unwrap();
    // Mean (7 + 11 + 9)/3 = 9; sample sd √((4 + 4 + 0)/2) = 2.
    assert_eq!((lt.orders, lt.mean_days, lt.sd_days), (3, 9.0, 2.0));
    assert!(lt.explanation.mentions("1 not yet received left out"));

    // Two orders of 10 days each: the spread is taken as 25 % of the mean, 2.5 days.
    let thin = lead_time(
        &orders[..0]
            .iter()
            .chain(&[
                po(date(2026, 1, 1), Some(date(2026, 1, 11))),
                po(date(2026, 2, 1), Some(date(2026, 2, 11))),
            ])
            .copied()
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert_eq!(thin.sd_days, 2.5);

    let backwards = [po(date(2026, 1, 10), Some(date(2026, 1, 9)))];
    assert!(lead_time(&backwards).unwrap_err().to_string().contains("received before it was sent"));
}

#[test]
fn a_cycle_service_level_reorder_point_matches_the_textbook_arithmetic() {
    let q = ReorderQuery {
        demand_per_period: 10.0,
        demand_sd_per_period: 4.0,
        period_days: 7.0,
        lead_time_days: 14.0,
        lead_time_sd_days: 7.0,
        target: ServiceTarget::CycleServiceLevel(0.95),
        order_quantity: OrderQuantityRule::Eoq { order_cost: 20.0, holding_cost_per_period: 0.1 },
        pack_size: 10,
        review_days: 0.0,
        // The textbook's normal; left to the rule, this CV of 0.57 would get a gamma.
        distribution: Some(Distribution::Normal),
    };
    let s = reorder_point(&q).unwrap();
    // Continuous review (R = 0). L = 2 weeks ± 1: mean 20, σ = √(2 × 4² + 10² × 1²) = √132 = 11.49; z(95 %) = 1.645;
    // safety 18.90; reorder point ⌈38.90⌉ = 39. EOQ √(2 × 10 × 20 / 0.1) = 63.2 → 70 in packs of 10.
    assert!((s.lead_time_demand_sd - 132f64.sqrt()).abs() < 1e-9);
    assert!((s.safety_stock - 18.90).abs() < 0.01, "{}", s.explanation);
    assert_eq!((s.reorder_point, s.order_quantity), (39.0, 70.0));
    assert!(s.explanation.mentions("= 39"), "{}", s.explanation);

    // Reviewed weekly: demand between reviews 10 ± 4, undershoot (16 + 100)/(2 × 10) = 5.8 with
    // variance 100/3 + 16 − 5.8² = 15.69; σ = √(132 + 15.69) = 12.15, safety 1.645 × 12.15 = 19.99;
    // reorder point ⌈20 + 5.8 + 19.99⌉ = 46.
    let weekly = reorder_point(&ReorderQuery { review_days: 7.0, ..q }).unwrap();
    assert!((weekly.undershoot - 5.8).abs() < 1e-9);
    assert_eq!(weekly.reorder_point, 46.0, "{}", weekly.explanation);
}

#[test]
fn skewed_lead_time_demand_gets_a_gamma_reorder_point_above_the_normal_one_worked_by_hand() {
    // 10 ± 10 a week over a fixed two-week lead time, reviewed continuously: lead-time demand
    // 20 ± √(2 × 10²) = 20 ± 14.14, CV 0.71 ≥ 0.2, so gamma with shape (20/14.14)² = 2 and scale
    // 200/20 = 10 — an Erlang, whose loss is E[(X − r)⁺] = 10 e^(−r/10) (2 + r/10).
    let q = ReorderQuery {
        demand_per_period: 10.0,
        demand_sd_per_period: 10.0,
        period_days: 7.0,
        lead_time_days: 14.0,
        lead_time_sd_days: 0.0,
        target: ServiceTarget::FillRate(0.98),
        order_quantity: OrderQuantityRule::Cover { periods: 4.0 },
        pack_size: 1,
        review_days: 0.0,
        distribution: None,
    };
    let gamma = reorder_point(&q).unwrap();
    // Q = 40; shortage per order (1 − 0.98) × 40 = 0.8 = 10 e^(−u) (2 + u) at u = 4.379:
    // r = 43.79, reorder point 44.
    assert_eq!(gamma.distribution, Distribution::Gamma, "{}", gamma.explanation);
    assert_eq!(gamma.reorder_point, 44.0, "{}", gamma.explanation);
    assert!(gamma.explanation.mentions("CV 0.71 ≥ 0.2"), "{}", gamma.explanation);
    assert!(
        gamma.explanation.mentions("gamma shape 2.000, scale 10.000 at r = 43.79"),
        "{}",
        gamma.explanation
    );
    // At 44: 10 e^(−4.4) × 6.4 = 0.786 short per order of 40, a fill rate of 98.04 %.
    assert!((gamma.expected_fill_rate - 0.9804).abs() < 1e-4, "{}", gamma.expected_fill_rate);

    // The normal with the same mean and spread: G(k) = 0.8/14.14 = 0.0566, k = 1.18, reorder
    // point ⌈20 + 16.7⌉ = 37 — seven units less: the gamma expects 10 e^(−3.7) × 5.7 = 1.41 short per order there, 96.5 %.
    let normal = reorder_point(&ReorderQuery { distribution: Some(Distribution::Normal), ..q }).unwrap();
    assert_eq!(normal.reorder_point, 37.0, "{}", normal.explanation);

    // Cycle service level 95 %: e^(−u)(1 + u) = 0.05 at u = 4.744, reorder point ⌈47.44⌉ = 48.
    let csl = reorder_point(&ReorderQuery { target: ServiceTarget::CycleServiceLevel(0.95), ..q }).unwrap();
    assert_eq!(csl.reorder_point, 48.0, "{}", csl.explanation);

    // Steady demand: 100 ± 10 a week over two weeks is 200 ± 14.1, CV 0.07 — the normal.
    let steady = reorder_point(&ReorderQuery { demand_per_period: 100.0, ..q }).unwrap();
    assert_eq!(steady.distribution, Distribution::Normal, "{}", steady.explanation);
    assert!(steady.explanation.mentions("CV 0.07 < 0.2"), "{}", steady.explanation);
}

/// An item's daily demand and its supplier's lead times, both random with known shape.
struct Item {
    name: &'static str,
    demand: fn(&mut Rng) -> u32,
    /// The true mean and variance of a day's demand.
    daily: (f64, f64),
    /// Lead times are whole days, uniform between these.
    lead_days: (u32, u32),
}

impl Item {
    /// Mean and standard deviation of the lead time.
    fn lead_time(&self) -> (f64, f64) {
        let (lo, hi) = (f64::from(self.lead_days.0), f64::from(self.lead_days.1));
        ((lo + hi) / 2.0, (((hi - lo + 1.0).powi(2) - 1.0) / 12.0).sqrt())
    }
}

const ITEMS: [Item; 6] = [
    Item {
        name: "fast, steady supplier",
        demand: |r| r.poisson(20.0),
        daily: (20.0, 20.0),
        lead_days: (5, 7),
    },
    Item { name: "slow", demand: |r| r.poisson(0.8), daily: (0.8, 0.8), lead_days: (5, 7) },
    // 20 % of days, 1 + Poisson(9): mean 0.2 × 10 = 2, variance 0.2 × (9 + 100) − 4 = 17.8.
    Item {
        name: "lumpy",
        demand: |r| if r.uniform() < 0.2 { 1 + r.poisson(9.0) } else { 0 },
        daily: (2.0, 17.8),
        lead_days: (3, 12),
    },
    Item {
        name: "medium, erratic supplier",
        demand: |r| r.poisson(5.0),
        daily: (5.0, 5.0),
        lead_days: (10, 30),
    },
    Item {
        name: "medium, steady supplier",
        demand: |r| r.poisson(5.0),
        daily: (5.0, 5.0),
        lead_days: (14, 16),
    },
    // N(10, 8²) cut at zero: mean 10Φ(1.25) + 8φ(1.25) = 10.40, variance 161.29 − 10.40² = 53.0.
    Item {
        name: "volatile",
        demand: |r| (10.0 + 8.0 * r.normal()).round().max(0.0) as u32,
        daily: (10.40, 53.0),
        lead_days: (7, 9),
    },
];

const TARGET: f64 = 0.98;
const SEED_BASE: u64 = 100;
const HISTORY_DAYS: usize = 364;
/// A hundred years: over ten, the lumpy item's fill rate at a reorder point of 38 ranged from
/// 95.7 % to 98.6 % across 20 seeds (a check outside this suite) — more than the margin tested.
const SIMULATED_DAYS: usize = 36_500;

struct Outcome {
    fill_rate: f64,
    average_stock: f64,
}

/// Reviewed at the end of each day, backorders, orders of `q` whenever the stock position is at
/// or below `rop`; an order placed at the end of day t with a lead time of L days arrives at the
/// end of day t + L. The same seed gives every policy the same demand and lead times in turn.
fn simulate(item: &Item, seed: u64, rop: f64, q: f64) -> Outcome {
    let mut demand_rng = Rng::new(seed);
    let mut lead_rng = Rng::new(seed ^ 0xDEAD_BEEF);
    let (mut on_hand, mut backorders): (f64, f64) = (rop + q, 0.0);
    let mut arrivals: Vec<(usize, f64)> = Vec::new();
    let (mut demanded, mut served, mut stock_days) = (0.0, 0.0, 0.0);
    for day in 0..SIMULATED_DAYS {
        let d = f64::from((item.demand)(&mut demand_rng));
        let from_shelf = d.min(on_hand);
        on_hand -= from_shelf;
        backorders += d - from_shelf;
        demanded += d;
        served += from_shelf;
        arrivals.retain(|&(due, qty)| {
            if due == day {
                on_hand += qty;
                false
            } else {
                true
            }
        });
        let filled_backorders = backorders.min(on_hand);
        on_hand -= filled_backorders;
        backorders -= filled_backorders;
        let on_order: f64 = arrivals.iter().map(|a| a.1).sum();
        let mut position = on_hand + on_order - backorders;
        while position <= rop {
            let lead = lead_rng.between(item.lead_days.0, item.lead_days.1) as usize;
            arrivals.push((day + lead.max(1), q));
            position += q;
        }
        stock_days += on_hand;
    }
    Outcome { fill_rate: served / demanded, average_stock: stock_days / SIMULATED_DAYS as f64 }
}

/// What the plugin would have known after a year: weekly demand and a purchase order every two
/// weeks (the order quantity covers two weeks).
fn history(item: &Item, seed: u64) -> (DemandHistory, Vec<PurchaseOrder>) {
    let mut rng = Rng::new(seed.wrapping_mul(31).wrapping_add(7));
    let daily: Vec<f64> = (0..HISTORY_DAYS).map(|_| f64::from((item.demand)(&mut rng))).collect();
    let weekly = daily.chunks(7).map(|w| w.iter().sum()).collect();
    let start = date(2025, 1, 6);
    let orders = (0..26)
        .map(|i| {
            let sent = start.checked_add(jiff::Span::new().days(i * 14)).expect("a date in 2025");
            let lead = i64::from(rng.between(item.lead_days.0, item.lead_days.1));
            let received = sent.checked_add(jiff::Span::new().days(lead)).expect("a date in 2025");
            PurchaseOrder { sent, first_receipt: Some(received) }
        })
        .collect();
    (DemandHistory { quantities: weekly, season_length: None }, orders)
}

/// The suggestion for weekly demand `d` ± `sd` and a lead time, with two weeks' cover.
fn suggest(d: f64, sd: f64, lead: (f64, f64)) -> ReorderSuggestion {
    reorder_point(&ReorderQuery {
        demand_per_period: d,
        demand_sd_per_period: sd,
        period_days: 7.0,
        lead_time_days: lead.0,
        lead_time_sd_days: lead.1,
        target: ServiceTarget::FillRate(TARGET),
        order_quantity: OrderQuantityRule::Cover { periods: 2.0 },
        pack_size: 1,
        review_days: 1.0,
        distribution: None,
    })
    .expect("a valid query")
}

struct Comparison {
    ours: Vec<Outcome>,
    thumb: Vec<Outcome>,
    days_of_cover: f64,
}

/// Simulates the suggestions against the rule of thumb: reorder at lead-time demand plus N days
/// of average demand, with the smallest N that brings every item to the target or to the fill
/// rate the suggestion reached, whichever is lower — so the rule serves every item at least as
/// well. Both use the suggestion's order quantity and see the same demand.
fn compare(suggested: &[ReorderSuggestion], daily_means: &[f64], lead_means: &[f64]) -> Comparison {
    let seeds = || (0..ITEMS.len() as u64).map(|i| SEED_BASE + i);
    let ours: Vec<Outcome> = ITEMS
        .iter()
        .zip(seeds())
        .zip(suggested)
        .map(|((item, seed), s)| simulate(item, seed, s.reorder_point, s.order_quantity))
        .collect();
    let rule = |days: f64| -> Vec<Outcome> {
        ITEMS
            .iter()
            .zip(seeds())
            .enumerate()
            .map(|(i, (item, seed))| {
                simulate(
                    item,
                    seed,
                    (daily_means[i] * (lead_means[i] + days)).ceil(),
                    suggested[i].order_quantity,
                )
            })
            .collect()
    };
    let days_of_cover = (0..=60)
        .map(f64::from)
        .find(|&n| rule(n).iter().zip(&ours).all(|(t, o)| t.fill_rate >= TARGET.min(o.fill_rate)))
        .expect("60 days of cover is enough for every item");
    Comparison { ours, thumb: rule(days_of_cover), days_of_cover }
}

fn report(title: &str, suggested: &[ReorderSuggestion], c: &Comparison) -> (f64, f64) {
    eprintln!(
        "{title}: {} days of simulated demand, target fill rate {:.0} %",
        SIMULATED_DAYS,
        TARGET * 100.0
    );
    let (mut ours_stock, mut thumb_stock) = (0.0, 0.0);
    for (((item, s), ours), thumb) in ITEMS.iter().zip(suggested).zip(&c.ours).zip(&c.thumb) {
        eprintln!(
            "  {:<26} ROP {:>5} Q {:>5}: fill {:.2} % stock {:>6.1} | {} days' cover: fill {:.2} % stock {:>6.1}",
            item.name,
            s.reorder_point,
            s.order_quantity,
            ours.fill_rate * 100.0,
            ours.average_stock,
            c.days_of_cover,
            thumb.fill_rate * 100.0,
            thumb.average_stock
        );
        ours_stock += ours.average_stock;
        thumb_stock += thumb.average_stock;
    }
    eprintln!(
        "  average stock, all items: suggested {ours_stock:.1}, {} days' cover {thumb_stock:.1}",
        c.days_of_cover
    );
    (ours_stock, thumb_stock)
}

#[test]
fn with_the_true_demand_and_lead_times_every_item_reaches_the_fill_rate_on_less_stock_than_days_of_cover() {
    let suggested: Vec<ReorderSuggestion> = ITEMS
        .iter()
        .map(|item| suggest(7.0 * item.daily.0, (7.0 * item.daily.1).sqrt(), item.lead_time()))
        .collect();
    let daily: Vec<f64> = ITEMS.iter().map(|i| i.daily.0).collect();
    let lead: Vec<f64> = ITEMS.iter().map(|i| i.lead_time().0).collect();
    let c = compare(&suggested, &daily, &lead);
    let (ours, thumb) = report("true parameters", &suggested, &c);
    for ((item, o), s) in ITEMS.iter().zip(&c.ours).zip(&suggested) {
        assert!(o.fill_rate >= TARGET, "{}: {:.4}\n{}", item.name, o.fill_rate, s.explanation);
    }
    // The skewed items are the ones the gamma model is for.
    for (item, s) in ITEMS.iter().zip(&suggested) {
        let expected = if item.name == "fast, steady supplier" || item.name == "medium, steady supplier" {
            Distribution::Normal
        } else {
            Distribution::Gamma
        };
        assert_eq!(s.distribution, expected, "{}\n{}", item.name, s.explanation);
    }
    assert!(ours < 0.6 * thumb, "suggested {ours:.1} vs rule of thumb {thumb:.1}");
}

/// Estimation error costs a little service: suggestions from one year's estimates (weekly
/// demand, 26 purchase orders) are checked to within three-quarters of a point of the target
/// (the figures are printed), on less stock.
#[test]
fn with_a_year_of_history_every_item_comes_within_three_quarters_of_a_point_of_the_fill_rate_on_less_stock() {
    let mut suggested = Vec::new();
    let (mut daily, mut lead) = (Vec::new(), Vec::new());
    for (i, item) in ITEMS.iter().enumerate() {
        let (demand, orders) = history(item, SEED_BASE + i as u64);
        let f = forecast(&demand, 1).expect("a year of history");
        let lt = lead_time(&orders).expect("received orders");
        suggested.push(suggest(f.per_period[0], f.error_sd, (lt.mean_days, lt.sd_days)));
        daily.push(f.per_period[0] / 7.0);
        lead.push(lt.mean_days);
    }
    let c = compare(&suggested, &daily, &lead);
    let (ours, thumb) = report("estimated from a year", &suggested, &c);
    for ((item, o), s) in ITEMS.iter().zip(&c.ours).zip(&suggested) {
        assert!(o.fill_rate >= TARGET - 0.0075, "{}: {:.4}\n{}", item.name, o.fill_rate, s.explanation);
    }
    assert!(ours < 0.65 * thumb, "suggested {ours:.1} vs rule of thumb {thumb:.1}");
}
