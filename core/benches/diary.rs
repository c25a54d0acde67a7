//! The diary at a busy practice's size: appointments booked per second and free-slot searches
//! answered per second over HTTP, with 50 clinicians and a year of appointments behind them,
//! against the same row inserted and the same week read by bare SQL on the same database, as
//! ratios measured in one run; on SQLite and (when a server is given) PostgreSQL.
//!
//! `cargo bench -p ils-core --bench diary` — set `ILS_BENCH_DATABASE_URL` (or
//! `ILS_TEST_DATABASE_URL`) to a PostgreSQL server where databases may be created.
//! `ILS_BENCH_BOOKINGS` sets the bookings per measurement (2000), `ILS_BENCH_SEARCHES` the
//! searches (400), `ILS_BENCH_CONNECTIONS` the concurrency (16).
//!
//! The practice: 50 optometrists, a room each, open Monday to Saturday 09:00–17:30, a 30-minute
//! sight test that needs a room. Its diary: the past 365 days filled to about 80% (done,
//! cancelled, no-shows), the next eight weeks booked to about 75% — some 230,000 appointments,
//! written by bulk SQL (seeding is not measured).
//!
//! Bookings: `POST /api/v1/appointments` into the free half-hours of the next eight weeks,
//! each with its clinician's room — the patient, type and clinician read, opening hours, the
//! clinician's and the room's clash checks, the row (with the database's own overlap guard), the
//! audit row and the event, one transaction. Searches: `GET /api/v1/appointments/free-slots`
//! for a week of the next eight, for every clinician (the first 500 slots) and for one.
//! Bare: the same appointment row by one `INSERT` per transaction (PostgreSQL from as many
//! connections as the HTTP clients, SQLite from one, its one writer's best case), and the same
//! week's live appointments read by one `SELECT` (from as many connections on either).

#![allow(clippy::unwrap_used, clippy::print_stdout, missing_docs)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::Rate;

use ils_core::db::types::Timestamp;
use ils_core::db::{Db, DbOptions};
use ils_core::tenants::TenantKind;
use ils_core::{AppConfig, AppState};
use jiff::civil::Date;
use serde_json::{Value, json};
use uuid::Uuid;

const CLINICIANS: usize = 50;
/// Half-hour starts in a day, 09:00 to 17:00.
const SLOTS_PER_DAY: usize = 17;
const PATIENTS: usize = 200;
const DAYS_BEHIND: i64 = 365;
const DAYS_AHEAD: i64 = 56;

struct Measured {
    backend: &'static str,
    appointments: i64,
    bookings: Rate,
    search_all: Rate,
    search_one: Rate,
    slots_found: usize,
    bare_insert_per_sec: f64,
    bare_insert_connections: usize,
    bare_read_per_sec: f64,
}

/// The practice as the bench drives it.
struct Practice {
    tenant: Uuid,
    token: String,
    type_id: String,
    clinicians: Vec<Uuid>,
    rooms: Vec<Uuid>,
    patients: Vec<Uuid>,
}

/// A half-hour of a clinician's day.
#[derive(Clone, Copy)]
struct Cell {
    clinician: usize,
    starts_at: jiff::Timestamp,
}

async fn call(client: &reqwest::Client, url: String, token: &str, body: Value) -> Value {
    let response = client.post(url).bearer_auth(token).json(&body).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    response.json().await.unwrap()
}

fn id(v: &Value) -> Uuid {
    Uuid::parse_str(v["id"].as_str().unwrap()).unwrap()
}

async fn practice(db: &Db, client: &reqwest::Client, base: &str) -> Practice {
    let tenant = support::tenant(db, TenantKind::Ecp).await;
    let token = support::sign_in(client, base).await;
    let api = format!("{base}/api/v1");
    let week: Vec<Value> =
        (1..=6).map(|weekday| json!({ "weekday": weekday, "opens": "09:00", "closes": "17:30" })).collect();
    let response = client
        .put(format!("{api}/opening-hours"))
        .bearer_auth(&token)
        .json(&json!({ "week": week }))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.text().await.unwrap());
    let kind = call(
        client,
        format!("{api}/appointment-types"),
        &token,
        json!({ "name": "Sight test", "duration_minutes": 30, "professions": ["optometrist"], "needs_room": true }),
    )
    .await;
    let mut clinicians = Vec::new();
    let mut rooms = Vec::new();
    for n in 0..CLINICIANS {
        let clinician = json!({ "name": format!("Optom {n:02}"), "profession": "optometrist",
                                "goc_number": format!("01-{:05}", 10_000 + n) });
        clinicians.push(id(&call(client, format!("{api}/clinicians"), &token, clinician).await));
        rooms.push(id(&call(
            client,
            format!("{api}/rooms"),
            &token,
            json!({ "name": format!("Room {n:02}") }),
        )
        .await));
    }
    let mut patients = Vec::new();
    for n in 0..PATIENTS {
        let patient = json!({ "first_name": "Pat", "last_name": format!("Bench{n:03}"), "date_of_birth": "1961-04-02" });
        patients.push(id(&call(client, format!("{api}/patients"), &token, patient).await));
    }
    Practice {
        tenant: tenant.as_uuid(),
        token,
        type_id: kind["id"].as_str().unwrap().to_owned(),
        clinicians,
        rooms,
        patients,
    }
}

/// The practice's days from `first` for `count` days that it opens (not Sundays).
fn open_days(first: Date, count: i64) -> Vec<Date> {
    (0..count)
        .map(|n| first.checked_add(jiff::Span::new().days(n)).unwrap())
        .filter(|d| d.weekday() != jiff::civil::Weekday::Sunday)
        .collect()
}

fn half_hour(day: Date, slot: usize) -> jiff::Timestamp {
    let opens = day.at(9, 0, 0, 0).to_zoned(ils_diary::zone()).unwrap().timestamp();
    opens.checked_add(jiff::SignedDuration::from_mins(30 * slot as i64)).unwrap()
}

/// A cheap, fixed scramble: which cells the seed fills.
fn mix(a: usize, b: usize, c: usize) -> usize {
    let mut x = (a as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (b as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F)
        ^ c as u64;
    x ^= x >> 29;
    x = x.wrapping_mul(0xBF58_476D_1CE4_E5B9);
    (x ^ (x >> 32)) as usize
}

/// Writes a year behind and eight weeks ahead; returns the appointments written and the free
/// cells ahead (in a scrambled order, so that clients spread over the diary).
async fn seed(options: &DbOptions, p: &Practice) -> (i64, Vec<Cell>) {
    let today = jiff::Zoned::now().with_time_zone(ils_diary::zone()).date();
    let behind = open_days(today.checked_sub(jiff::Span::new().days(DAYS_BEHIND)).unwrap(), DAYS_BEHIND);
    let ahead = open_days(today.tomorrow().unwrap(), DAYS_AHEAD);
    let mut rows = Vec::new();
    let mut free = Vec::new();
    for (past, days) in [(true, &behind), (false, &ahead)] {
        for (d, day) in days.iter().enumerate() {
            for clinician in 0..CLINICIANS {
                for slot in 0..SLOTS_PER_DAY {
                    let roll = mix(d + usize::from(past) * 1000, clinician, slot) % 20;
                    let cell = Cell { clinician, starts_at: half_hour(*day, slot) };
                    // A year behind about 80% used; eight weeks ahead about 75% booked.
                    let status = match (past, roll) {
                        (true, 0..=3) | (false, 0..=4) => None,
                        (true, 4) => Some("cancelled"),
                        (true, 5) => Some("no_show"),
                        (true, _) => Some("done"),
                        (false, _) => Some("booked"),
                    };
                    match status {
                        Some(status) => rows.push((cell, status)),
                        None if !past => free.push(cell),
                        None => {}
                    }
                }
            }
        }
    }
    // Newest first: each row's overlap check then finds nothing later to scan past.
    rows.sort_by_key(|(cell, _)| std::cmp::Reverse(cell.starts_at));
    let written = rows.len() as i64;
    let mut conn = connect(options).await;
    for chunk in rows.chunks(500) {
        let mut sql = String::from(
            "INSERT INTO appointments (tenant_id, id, patient_id, type_id, clinician_id, room_id, starts_at, ends_at,
                status, notes, created_at, updated_at) VALUES ",
        );
        for (n, _) in chunk.iter().enumerate() {
            let b = n * 9;
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, '', ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 5,
                b + 6,
                b + 7,
                b + 8,
                b + 9,
                b + 7,
                b + 7
            ));
        }
        let type_id = Uuid::parse_str(&p.type_id).unwrap();
        macro_rules! bind_all {
            ($conn:expr) => {{
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                for (n, (cell, status)) in chunk.iter().enumerate() {
                    q = q
                        .bind(p.tenant)
                        .bind(Uuid::now_v7())
                        .bind(p.patients[n % PATIENTS])
                        .bind(type_id)
                        .bind(p.clinicians[cell.clinician])
                        .bind(p.rooms[cell.clinician])
                        .bind(Timestamp::from_jiff(cell.starts_at))
                        .bind(Timestamp::from_jiff(end_of(cell.starts_at)))
                        .bind(*status);
                }
                q.execute($conn).await.unwrap();
            }};
        }
        match &mut conn {
            Conn::Sqlite(c) => bind_all!(&mut *c),
            Conn::Postgres(c) => bind_all!(&mut *c),
        }
    }
    // A diary that grew to this size has its statistics (autovacuum keeps them); a bulk load has
    // none until then, and PostgreSQL would plan the clash checks as for an empty table.
    match &mut conn {
        Conn::Sqlite(c) => sqlx::query("ANALYZE").execute(&mut *c).await.map(|_| ()).unwrap(),
        Conn::Postgres(c) => sqlx::query("ANALYZE").execute(&mut *c).await.map(|_| ()).unwrap(),
    }
    free.sort_by_key(|cell| mix(cell.clinician, cell.starts_at.as_second() as usize, 7));
    (written, free)
}

fn end_of(starts_at: jiff::Timestamp) -> jiff::Timestamp {
    starts_at.checked_add(jiff::SignedDuration::from_mins(30)).unwrap()
}

enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

/// A connection as the app's pool makes them (SQLite: WAL, synchronous=NORMAL, foreign keys).
async fn connect(options: &DbOptions) -> Conn {
    use sqlx::Connection as _;
    if options.url.starts_with("sqlite:") {
        let sqlite: sqlx::sqlite::SqliteConnectOptions = options.url.parse().unwrap();
        let sqlite = sqlite
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
            .foreign_keys(true);
        Conn::Sqlite(sqlx::SqliteConnection::connect_with(&sqlite).await.unwrap())
    } else {
        Conn::Postgres(sqlx::PgConnection::connect(&options.url).await.unwrap())
    }
}

/// Books `cells` over HTTP, `connections` at once.
async fn book(
    client: &reqwest::Client,
    api: &str,
    p: &Practice,
    cells: Vec<Cell>,
    connections: usize,
) -> Rate {
    let (client, url, token) = (client.clone(), format!("{api}/appointments"), p.token.clone());
    let (type_id, clinicians, rooms, patients) =
        (p.type_id.clone(), p.clinicians.clone(), p.rooms.clone(), p.patients.clone());
    let cells = Arc::new(cells);
    support::drive(cells.len(), connections, move |i| {
        let cell = cells[i];
        let body = json!({
            "patient_id": patients[i % PATIENTS], "type_id": type_id, "clinician_id": clinicians[cell.clinician],
            "room_id": rooms[cell.clinician], "starts_at": Timestamp::from_jiff(cell.starts_at),
        });
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        async move {
            call(&client, url, &token, body).await;
        }
    })
    .await
}

/// `count` week-long free-slot searches over HTTP, for everyone or for one clinician each.
async fn search(
    client: &reqwest::Client,
    api: &str,
    p: &Practice,
    count: usize,
    connections: usize,
    one_clinician: bool,
    found: Arc<AtomicUsize>,
) -> Rate {
    let (client, url, token) = (client.clone(), format!("{api}/appointments/free-slots"), p.token.clone());
    let (type_id, clinicians) = (p.type_id.clone(), p.clinicians.clone());
    let today = jiff::Zoned::now().with_time_zone(ils_diary::zone()).date();
    support::drive(count, connections, move |i| {
        let from = today
            .checked_add(jiff::Span::new().days(1 + (mix(i, 3, 5) % (DAYS_AHEAD as usize - 7)) as i64))
            .unwrap();
        let to = from.checked_add(jiff::Span::new().days(6)).unwrap();
        let mut query =
            vec![("type_id", type_id.clone()), ("from", from.to_string()), ("to", to.to_string())];
        if one_clinician {
            query.push(("clinician_id", clinicians[i % CLINICIANS].to_string()));
        }
        let (client, url, token, found) = (client.clone(), url.clone(), token.clone(), found.clone());
        async move {
            let response = client.get(url).bearer_auth(token).query(&query).send().await.unwrap();
            assert!(response.status().is_success(), "{}", response.text().await.unwrap());
            let slots: Vec<Value> = response.json().await.unwrap();
            found.fetch_add(slots.len(), Ordering::Relaxed);
        }
    })
    .await
}

/// The booking's row, inserted bare: one `INSERT` per transaction.
async fn bare_inserts(options: &DbOptions, p: &Practice, cells: Vec<Cell>, connections: usize) -> f64 {
    const SQL: &str = "INSERT INTO appointments (tenant_id, id, patient_id, type_id, clinician_id, room_id,
            starts_at, ends_at, status, notes, created_at, updated_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'booked', '', $9, $9)";
    let type_id = Uuid::parse_str(&p.type_id).unwrap();
    let (tenant, clinicians, rooms, patients) =
        (p.tenant, p.clinicians.clone(), p.rooms.clone(), p.patients.clone());
    let cells = Arc::new(cells);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (options, next, cells) = (options.clone(), next.clone(), cells.clone());
            let (clinicians, rooms, patients) = (clinicians.clone(), rooms.clone(), patients.clone());
            tokio::spawn(async move {
                use sqlx::Connection as _;
                macro_rules! insert_all {
                    ($conn:expr, $begin:literal) => {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= cells.len() {
                                break;
                            }
                            let cell = cells[i];
                            let mut tx = $conn.begin_with($begin).await.unwrap();
                            sqlx::query(SQL)
                                .bind(tenant)
                                .bind(Uuid::now_v7())
                                .bind(patients[i % PATIENTS])
                                .bind(type_id)
                                .bind(clinicians[cell.clinician])
                                .bind(rooms[cell.clinician])
                                .bind(Timestamp::from_jiff(cell.starts_at))
                                .bind(Timestamp::from_jiff(end_of(cell.starts_at)))
                                .bind(Timestamp::now())
                                .execute(&mut *tx)
                                .await
                                .unwrap();
                            tx.commit().await.unwrap();
                        }
                    };
                }
                match connect(&options).await {
                    Conn::Sqlite(mut c) => insert_all!(c, "BEGIN IMMEDIATE"),
                    Conn::Postgres(mut c) => insert_all!(c, "BEGIN"),
                }
            })
        })
        .collect();
    let count = cells.len();
    for w in workers {
        w.await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

/// The week's live appointments, read bare: the rows a free-slot search plans from, by the
/// index on their start (no appointment is longer than eight hours, so none that starts more
/// than eight hours before the week can reach into it).
async fn bare_reads(options: &DbOptions, p: &Practice, count: usize, connections: usize) -> f64 {
    const SQL: &str = "SELECT clinician_id, room_id, starts_at, ends_at FROM appointments
        WHERE tenant_id = $1 AND status IN ('booked', 'arrived', 'in_room', 'done')
          AND starts_at >= $4 AND starts_at < $3 AND $2 < ends_at";
    let tenant = p.tenant;
    let today = jiff::Zoned::now().with_time_zone(ils_diary::zone()).date();
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..connections)
        .map(|_| {
            let (options, next) = (options.clone(), next.clone());
            tokio::spawn(async move {
                macro_rules! read_all {
                    ($conn:expr) => {
                        loop {
                            let i = next.fetch_add(1, Ordering::Relaxed);
                            if i >= count {
                                break;
                            }
                            let from = today
                                .checked_add(
                                    jiff::Span::new()
                                        .days(1 + (mix(i, 3, 5) % (DAYS_AHEAD as usize - 7)) as i64),
                                )
                                .unwrap();
                            let start = from.to_zoned(ils_diary::zone()).unwrap().timestamp();
                            let end = start.checked_add(jiff::SignedDuration::from_hours(24 * 7)).unwrap();
                            let floor = start.checked_sub(jiff::SignedDuration::from_hours(8)).unwrap();
                            let rows = sqlx::query(SQL)
                                .bind(tenant)
                                .bind(Timestamp::from_jiff(start))
                                .bind(Timestamp::from_jiff(end))
                                .bind(Timestamp::from_jiff(floor))
                                .fetch_all(&mut $conn)
                                .await
                                .unwrap();
                            assert!(!rows.is_empty());
                        }
                    };
                }
                match connect(&options).await {
                    Conn::Sqlite(mut c) => read_all!(c),
                    Conn::Postgres(mut c) => read_all!(c),
                }
            })
        })
        .collect();
    for w in workers {
        w.await.unwrap();
    }
    count as f64 / started.elapsed().as_secs_f64()
}

async fn measure(
    backend: &'static str,
    options: DbOptions,
    data_dir: &std::path::Path,
    bookings: usize,
    searches: usize,
    connections: usize,
) -> Measured {
    let db = Db::connect_and_migrate(&options).await.unwrap();
    let sealer = ils_core::config::load_sealer(None, data_dir).unwrap();
    let state = AppState::new(db.clone(), AppConfig::new(), sealer).unwrap();
    let runner = ils_core::jobs::Runner::start(state.clone()).unwrap();
    let base = support::serve(state).await;
    let api = format!("{base}/api/v1");
    let client = reqwest::Client::new();
    let p = practice(&db, &client, &base).await;
    let started = Instant::now();
    let (appointments, mut free) = seed(&options, &p).await;
    println!("{backend}: {appointments} appointments seeded in {:.0} s", started.elapsed().as_secs_f64());
    let warm = bookings / 4;
    assert!(
        free.len() >= warm + 2 * bookings,
        "{} free half-hours for {} bookings",
        free.len(),
        warm + 2 * bookings
    );
    let bare_cells = free.split_off(free.len() - bookings);
    let measured_cells = free.split_off(free.len() - bookings);
    let warm_cells = free.split_off(free.len() - warm);

    // Warm up: connections, prepared statements, caches.
    book(&client, &api, &p, warm_cells, connections).await;
    let found = Arc::new(AtomicUsize::new(0));
    search(&client, &api, &p, searches / 4, connections, false, found.clone()).await;
    let booked = book(&client, &api, &p, measured_cells, connections).await;
    let found = Arc::new(AtomicUsize::new(0));
    let search_all = search(&client, &api, &p, searches, connections, false, found.clone()).await;
    let search_one = search(&client, &api, &p, searches, connections, true, found.clone()).await;
    runner.stop().await;

    let bare_insert_connections = if backend == "sqlite" { 1 } else { connections };
    let bare_insert_per_sec = bare_inserts(&options, &p, bare_cells, bare_insert_connections).await;
    let bare_read_per_sec = bare_reads(&options, &p, searches, connections).await;
    db.close().await;
    Measured {
        backend,
        appointments: appointments + (warm + 2 * bookings) as i64,
        bookings: booked,
        search_all,
        search_one,
        slots_found: found.load(Ordering::Relaxed) / (2 * searches),
        bare_insert_per_sec,
        bare_insert_connections,
        bare_read_per_sec,
    }
}

#[tokio::main]
async fn main() {
    let env =
        |name: &str, default: usize| std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default);
    let (bookings, searches, connections) =
        (env("ILS_BENCH_BOOKINGS", 2000), env("ILS_BENCH_SEARCHES", 400), env("ILS_BENCH_CONNECTIONS", 16));
    let mut results = Vec::new();
    for db in support::databases().await {
        results.push(
            measure(db.backend, db.options.clone(), db.dir.path(), bookings, searches, connections).await,
        );
        db.remove().await;
    }

    println!(
        "\nA practice of {CLINICIANS} clinicians and rooms, a year of appointments behind and eight weeks ahead; \
         {connections} clients at once; {bookings} bookings, {searches} week-long free-slot searches of each kind"
    );
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let rate = |r: &Rate| format!("{:.0} ({:.1}/{:.1} ms)", r.per_sec, ms(r.p50), ms(r.p99));
    println!(
        "{:<9} {:>12} {:>24} {:>22} {:>8} {:>24} {:>24} {:>14} {:>8} {:>8}",
        "backend",
        "appointments",
        "bookings/s (p50/p99)",
        "bare inserts/s (conns)",
        "book/bare",
        "searches all/s (p50/p99)",
        "searches one/s (p50/p99)",
        "bare reads/s",
        "all/bare",
        "one/bare",
    );
    for r in &results {
        println!(
            "{:<9} {:>12} {:>24} {:>22} {:>8.3} {:>24} {:>24} {:>14.0} {:>8.3} {:>8.3}",
            r.backend,
            r.appointments,
            rate(&r.bookings),
            format!("{:.0} ({})", r.bare_insert_per_sec, r.bare_insert_connections),
            r.bookings.per_sec / r.bare_insert_per_sec,
            rate(&r.search_all),
            rate(&r.search_one),
            r.bare_read_per_sec,
            r.search_all.per_sec / r.bare_read_per_sec,
            r.search_one.per_sec / r.bare_read_per_sec,
        );
        println!("{:<9} {} free slots per search on average", "", r.slots_found);
    }
}
