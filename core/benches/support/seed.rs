//! A lab's orders, seeded straight into the database for the reporting tests and benches:
//! timelines with chosen times (shipped, completed, failed checks, remakes) that no API would let
//! a test back-date. Shared by `core/tests/it` (report reads, the reports plugin) and the
//! `reports` bench.

#![allow(dead_code, clippy::unwrap_used)]

use ils_core::db::types::Timestamp;
use ils_core::db::{Db, TenantTx};
use ils_core::ids::TenantId;
use uuid::Uuid;

pub const DAY_MS: i64 = 86_400_000;
pub const HOUR_MS: i64 = 3_600_000;
/// 2026-01-01T00:00:00Z.
pub const JAN_1: i64 = 20_454 * DAY_MS;

/// A time the database stores.
pub fn at(ms: i64) -> Timestamp {
    Timestamp::from_jiff(jiff::Timestamp::from_millisecond(ms).unwrap())
}

/// A value bound into a seeding insert.
pub enum Bind {
    Id(Uuid),
    MaybeId(Option<Uuid>),
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    At(Timestamp),
}

/// Inserts `rows` into `into` (`table (columns)`), hundreds per statement.
pub async fn insert(tx: &mut TenantTx, into: &str, rows: Vec<Vec<Bind>>) {
    for chunk in rows.chunks(400) {
        let width = chunk[0].len();
        let tuples: Vec<String> = (0..chunk.len())
            .map(|r| {
                let marks: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
                format!("({})", marks.join(", "))
            })
            .collect();
        let sql = format!("INSERT INTO {into} VALUES {}", tuples.join(", "));
        ils_core::db::on_conn!(tx.conn(), c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in chunk.iter().flatten() {
                q = match b {
                    Bind::Id(v) => q.bind(*v),
                    Bind::MaybeId(v) => q.bind(*v),
                    Bind::Text(v) => q.bind(v.clone()),
                    Bind::MaybeText(v) => q.bind(v.clone()),
                    Bind::Int(v) => q.bind(*v),
                    Bind::At(v) => q.bind(*v),
                };
            }
            q.execute(&mut **c).await.unwrap();
        });
    }
}

/// One seeded order: what the test knows about it.
#[derive(Clone, Debug)]
pub struct Seeded {
    pub id: Uuid,
    pub lens_type: &'static str,
    pub created: i64,
    pub shipped: Option<i64>,
    pub completed: Option<i64>,
    /// The quality issue its check failed with, and when.
    pub failure: Option<(&'static str, i64)>,
    pub remade_by: Option<Uuid>,
    /// Its price in pence (GBP).
    pub price_minor: i64,
}

impl Seeded {
    pub fn turnaround_days(&self) -> Option<f64> {
        self.shipped.or(self.completed).map(|end| (end - self.created) as f64 / DAY_MS as f64)
    }
}

/// `n` orders from `start`, three hours apart (every tenth at the same time as the one before,
/// so pages must break ties by id), with timelines: most ship after 1 to 11 days and some
/// hours, one in six stays in production, one in seventeen is completed without shipping, a
/// quarter fail a quality check first (and half of those are remade).
pub fn plan_orders(n: usize, start: i64, lenses: &[&'static str]) -> Vec<Seeded> {
    let mut orders = Vec::with_capacity(n);
    let mut created = start;
    for i in 0..n {
        if i % 10 != 0 || i == 0 {
            created = start + i as i64 * 3 * HOUR_MS;
        }
        let ta = ((i * 7) % 11 + 1) as i64 * DAY_MS + (i % 5) as i64 * HOUR_MS;
        let open = i % 6 == 5;
        let collected = i % 17 == 16 && !open;
        let shipped = (!open && !collected).then_some(created + ta);
        let completed =
            if collected { Some(created + ta) } else { shipped.filter(|_| i % 3 == 0).map(|s| s + DAY_MS) };
        let failure = (i % 4 == 1 && !open)
            .then(|| (if i % 8 == 1 { "coating_defect" } else { "wrong_power" }, created + ta - 2 * HOUR_MS));
        let remade_by = (i % 8 == 1 && !open).then(Uuid::now_v7);
        let lens_type = lenses[i % lenses.len()];
        orders.push(Seeded {
            id: Uuid::now_v7(),
            lens_type,
            created,
            shipped,
            completed,
            failure,
            remade_by,
            price_minor: 3_000 + (i % 7) as i64 * 1_250,
        });
    }
    orders
}

/// 2027-03-01, when the seed's remakes are placed: outside every period the tests read orders
/// in, so they count only as remakes.
pub const REMAKES_FROM: i64 = 20_878 * DAY_MS;

/// Writes `orders` (and their remakes, from [`REMAKES_FROM`]) into `tenant`.
pub async fn seed_orders(db: &Db, tenant_id: TenantId, orders: &[Seeded]) {
    let mut tx = db.tenant(tenant_id).await.unwrap();
    let practice = Uuid::now_v7();
    let mut rows = Vec::new();
    let mut steps = Vec::new();
    let order_row = |o: &Seeded,
                     number: String,
                     original: Option<Uuid>,
                     created: i64,
                     status: &str,
                     station: Option<&str>| {
        vec![
            Bind::Id(tenant_id.as_uuid()),
            Bind::Id(o.id),
            Bind::Text(number),
            Bind::Id(practice),
            Bind::Id(Uuid::now_v7()),
            Bind::Text(if original.is_some() { "remake" } else { "new" }.into()),
            Bind::MaybeId(original),
            Bind::Text(o.lens_type.into()),
            Bind::Text(status.into()),
            Bind::MaybeText(station.map(Into::into)),
            Bind::At(at(created)),
            Bind::Int(o.price_minor),
        ]
    };
    for (i, o) in orders.iter().enumerate() {
        let step = |from: Option<&str>,
                    to: &str,
                    from_station: Option<&str>,
                    to_station: Option<&str>,
                    issue: Option<&str>,
                    when: i64| {
            vec![
                Bind::Id(tenant_id.as_uuid()),
                Bind::Id(Uuid::now_v7()),
                Bind::Id(o.id),
                Bind::MaybeText(from.map(Into::into)),
                Bind::Text(to.into()),
                Bind::MaybeText(from_station.map(Into::into)),
                Bind::MaybeText(to_station.map(Into::into)),
                Bind::MaybeText(issue.map(Into::into)),
                Bind::At(at(when)),
            ]
        };
        let mut mine = vec![
            step(None, "pending", None, None, None, o.created),
            step(Some("pending"), "in_production", None, Some("surfacing"), None, o.created + HOUR_MS),
        ];
        // Into inspection from surfacing, at `when`.
        let to_check = |when| {
            step(Some("in_production"), "quality_check", Some("surfacing"), Some("inspection"), None, when)
        };
        if let Some((issue, when)) = o.failure {
            mine.push(to_check(when - HOUR_MS));
            mine.push(step(
                Some("quality_check"),
                "in_production",
                Some("inspection"),
                Some("surfacing"),
                Some(issue),
                when,
            ));
        }
        if let Some(shipped) = o.shipped {
            mine.push(to_check(shipped - HOUR_MS));
            mine.push(step(Some("quality_check"), "shipped", Some("inspection"), None, None, shipped));
        }
        if let Some(completed) = o.completed {
            let from = if o.shipped.is_some() { "shipped" } else { "in_production" };
            mine.push(step(Some(from), "completed", None, None, None, completed));
        }
        let (status, station) = match (o.completed, o.shipped) {
            (Some(_), _) => ("completed", None),
            (None, Some(_)) => ("shipped", None),
            _ => ("in_production", Some("surfacing")),
        };
        rows.push(order_row(o, format!("J{:06}", i + 1), None, o.created, status, station));
        if let Some(remake) = o.remade_by {
            let copy = Seeded { id: remake, ..o.clone() };
            let remade_on = REMAKES_FROM + i as i64;
            rows.push(order_row(&copy, format!("R{:06}", i + 1), Some(o.id), remade_on, "pending", None));
        }
        steps.extend(mine);
    }
    let orders_into =
        "lab_orders (tenant_id, id, number, counterpart_tenant_id, counterpart_order_id, reason,
        original_order_id, lens_type, status, station, created_at, price_minor, routing, counterpart_name, rx, material,
        lens_index, coatings, frame, pd_right, pd_left, due_on, priority, currency, updated_at)";
    // The columns every seeded order shares are constants of the statement.
    let rows = rows
        .into_iter()
        .map(|mut r| {
            let created = match &r[10] {
                Bind::At(t) => *t,
                _ => unreachable!(),
            };
            r.extend([
                Bind::Text("from_practice".into()),
                Bind::Text("Vision Practice".into()),
                Bind::Text("{}".into()),
                Bind::Text("plastic".into()),
                Bind::Int(1500),
                Bind::Text("[\"hard_coat\"]".into()),
                Bind::Text("full rim".into()),
                Bind::Int(320),
                Bind::Int(315),
                Bind::Text("2026-12-31".into()),
                Bind::Text("normal".into()),
                Bind::Text("GBP".into()),
                Bind::At(created),
            ]);
            r
        })
        .collect();
    insert(&mut tx, orders_into, rows).await;
    let steps_into = "lab_order_timeline (tenant_id, id, order_id, from_status, to_status, from_station,
        to_station, quality_issue, at, actor_kind)";
    let steps = steps
        .into_iter()
        .map(|mut s| {
            s.push(Bind::Text("system".into()));
            s
        })
        .collect();
    insert(&mut tx, steps_into, steps).await;
    tx.commit().await.unwrap();
}

/// A busy lab's year from 2026-01-01: `n` orders of [`plan_orders`], spread evenly over the year.
pub fn plan_year(n: usize, lenses: &[&'static str]) -> Vec<Seeded> {
    let mut orders = plan_orders(n, JAN_1, lenses);
    let step = (365 * DAY_MS) / n as i64;
    for (i, o) in orders.iter_mut().enumerate() {
        let moved = JAN_1 + i as i64 * step - o.created;
        o.created += moved;
        o.shipped = o.shipped.map(|t| t + moved);
        o.completed = o.completed.map(|t| t + moved);
        o.failure = o.failure.map(|(issue, t)| (issue, t + moved));
    }
    orders
}
