//! The SQLite and PostgreSQL migrations build the same schema (ADR 001: "the tables and
//! constraints are the same"). Both sets are applied the way the app applies them
//! (`ils_core::db::migrate`), both catalogues are read, and these are compared table by table:
//!
//! - tables and views, by name;
//! - columns: name, type by family, nullability, default (normalised: `''::text` is `''`,
//!   `false` is `0`), generated or not. A PostgreSQL type belongs to a family (integer, boolean,
//!   text, timestamp, date, json, uuid, bytes, real) and each family has one SQLite storage class
//!   (`postgres::family`); a SQLite column must be declared with that class. SQLite's declared
//!   type cannot say more, so a `uuid` against a BLOB of other bytes, or a timestamp against other
//!   text, cannot be told apart here;
//! - primary keys (columns in order), foreign keys (columns → table (columns), ON DELETE/UPDATE),
//!   unique constraints and unique indexes alike as column sets (with, for partial ones, the
//!   columns their predicate mentions), other indexes by name and keys;
//! - CHECK constraints, as the number of checks on each set of columns: the dialects write the
//!   same rule differently (`GLOB` against `~`), so expressions are shown, not compared;
//! - row triggers, as the events they fire on (`BEFORE UPDATE`), not by name: SQLite needs one
//!   trigger per event where PostgreSQL has `BEFORE UPDATE OR DELETE`;
//! - on SQLite, that every table is STRICT (otherwise declared types are not enforced).
//!
//! Deliberately not compared, being PostgreSQL-only or different by nature: row-level security
//! policies, grants and roles, functions (the RLS helpers and trigger functions), what a trigger
//! does, check expressions and partial-index predicates as text, index methods and sort orders,
//! constraint names, deferrability, and integer widths (SQLite's INTEGER is always 64-bit).
//!
//! Where the dialects legitimately differ, an [`Exception`] below says so; an exception that no
//! longer matches anything fails the test, so the list stays true.

mod model;
mod postgres;
mod sql;
mod sqlite;

use std::time::Instant;

use ils_core::db::migrate;
use model::{Difference, Generated, Kind, Schema};
use sqlx::Connection as _;

use crate::harness::{Backend, fresh_database};

/// The schema without the tables ILS's migrations do not create: `_sqlx_migrations` (sqlx's
/// bookkeeping), River's job queue (`river_*`: River's own migrator creates a different schema
/// per backend, versioned by River, not by us) and SQLite's own (`sqlite_*`).
fn ils_tables(mut schema: Schema) -> Schema {
    schema.tables.retain(|name, _| {
        !(name == "_sqlx_migrations" || name.starts_with("river_") || name.starts_with("sqlite_"))
    });
    schema
}

/// A difference the two dialects are meant to have.
struct Exception {
    name: &'static str,
    /// Whether this exception explains `difference`; `postgres` is the PostgreSQL schema.
    covers: fn(difference: &Difference, postgres: &Schema) -> bool,
}

static EXCEPTIONS: &[Exception] = &[
    Exception { name: "SQLite booleans are integers checked IN (0, 1)", covers: boolean_check },
    Exception {
        name: "generated columns are VIRTUAL on SQLite, STORED on PostgreSQL",
        covers: stored_generated,
    },
    Exception {
        name: "events are append-only by trigger on SQLite, by grants on PostgreSQL",
        covers: events_guard,
    },
    Exception {
        name: "credential changes notify other nodes on PostgreSQL; SQLite serves one process",
        covers: credentials_notify,
    },
    Exception {
        name: "SQLite keeps items' case-sensitive UNIQUE (tenant_id, sku), implied by the index on lower(sku)",
        covers: sku_unique_kept,
    },
    Exception {
        name: "appointments never overlap by exclusion constraints on PostgreSQL, by triggers on SQLite",
        covers: appointments_apart,
    },
    Exception {
        name: "appointments last at most 480 minutes by a CHECK on PostgreSQL, by triggers on SQLite",
        covers: appointments_length,
    },
];

/// An appointment is at most 480 minutes long, so overlap checks look back a bounded way (0036,
/// docs/adr/043-diary.md "Scale"): a CHECK on PostgreSQL; SQLite cannot add a CHECK to a table,
/// so its `appointments_length_*` triggers (covered with the other triggers above) refuse one.
fn appointments_length(difference: &Difference, _: &Schema) -> bool {
    let Kind::Checks { columns, left, right } = &difference.kind else { return false };
    difference.table == "appointments"
        && difference.sides.0 == "sqlite"
        && columns.contains("starts_at")
        && columns.contains("ends_at")
        && right.len() == left.len() + 1
        && right.iter().any(|e| e.contains("08:00:00"))
}

/// PostgreSQL keeps a clinician's (and a room's) live appointments apart with exclusion
/// constraints, each backed by a GiST index; SQLite has no exclusion constraints, so triggers
/// refuse an overlapping insert or update, helped by the indexes by clinician and by room and
/// start that both dialects have (0032, 0036, docs/adr/043-diary.md).
fn appointments_apart(difference: &Difference, _: &Schema) -> bool {
    difference.table == "appointments"
        && match &difference.kind {
            Kind::IndexOnly { side: "postgres", name, .. } => {
                name == "appointments_clinician_free" || name == "appointments_room_free"
            }
            Kind::Trigger { side: "sqlite", trigger } => {
                trigger == "BEFORE INSERT" || trigger == "BEFORE UPDATE"
            }
            _ => false,
        }
}

/// SQLite has no boolean type: the migrations store booleans as INTEGER and some add
/// `CHECK (x IN (0, 1))`, which a PostgreSQL `boolean` needs not.
fn boolean_check(difference: &Difference, postgres: &Schema) -> bool {
    let Kind::Checks { columns, left, right } = &difference.kind else { return false };
    let Some(column) = columns.first().filter(|_| columns.len() == 1) else { return false };
    let boolean = postgres
        .tables
        .get(&difference.table)
        .and_then(|t| t.columns.get(column))
        .is_some_and(|c| c.family == Some("boolean"));
    let domain = sql::normalise_text(&format!("{column} IN (0, 1)"));
    difference.sides.0 == "sqlite"
        && boolean
        && left.len() == right.len() + 1
        && left.iter().any(|e| sql::normalise_text(e) == domain)
}

/// PostgreSQL before 18 has no virtual generated columns; both compute the same expression.
fn stored_generated(difference: &Difference, _: &Schema) -> bool {
    matches!(
        difference.kind,
        Kind::Generated { left: Some(Generated::Virtual), right: Some(Generated::Stored), .. }
    )
}

/// PostgreSQL keeps the service from changing events by granting `ils_app` only SELECT and
/// INSERT on them (0002); SQLite has no roles, so a trigger refuses updates there.
fn events_guard(difference: &Difference, _: &Schema) -> bool {
    matches!(&difference.kind, Kind::Trigger { side: "sqlite", trigger } if trigger == "BEFORE UPDATE")
        && difference.table == "events"
}

/// PostgreSQL's statement triggers `NOTIFY ils_credentials` so every node drops its cached
/// principals (0023); SQLite serves one process, which knows its own changes.
fn credentials_notify(difference: &Difference, _: &Schema) -> bool {
    const TABLES: [&str; 5] = ["sessions", "api_keys", "memberships", "tenants", "users"];
    matches!(&difference.kind, Kind::Trigger { side: "postgres", trigger }
        if trigger.starts_with("AFTER ") && trigger.ends_with(" FOR EACH STATEMENT"))
        && TABLES.contains(&difference.table.as_str())
}

/// SQLite cannot drop a table's UNIQUE without rebuilding the table (and those referring to it);
/// 0029's unique index on `(tenant_id, lower(sku))`, on both, implies it.
fn sku_unique_kept(difference: &Difference, _: &Schema) -> bool {
    matches!(&difference.kind, Kind::Unique { side: "sqlite", unique }
        if unique.partial_on.is_none() && unique.columns.iter().map(String::as_str).eq(["sku", "tenant_id"]))
        && difference.table == "items"
}

/// A fresh database of `backend`, migrated as the app does, and its ILS tables.
async fn migrated(backend: Backend) -> Schema {
    let (_dir, options, _pg) = fresh_database(backend).await;
    migrate(&options).await.expect("migrate");
    let schema = match backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&options.url).await.expect("connect to SQLite");
            let schema = sqlite::introspect(&mut conn).await;
            conn.close().await.ok();
            schema
        }
        Backend::Postgres => {
            // The owner (the service role sees only columns it was granted).
            let owner = options.migrate_url.as_deref().expect("PostgreSQL owner URL");
            let mut conn = sqlx::PgConnection::connect(owner).await.expect("connect to PostgreSQL");
            let schema = postgres::introspect(&mut conn).await;
            conn.close().await.ok();
            schema
        }
    };
    ils_tables(schema)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(ils_pg), ignore = "PostgreSQL not configured: set ILS_TEST_DATABASE_URL")]
async fn sqlite_and_postgresql_migrations_build_the_same_schema() {
    let started = Instant::now();
    let (sqlite, postgres) = tokio::join!(migrated(Backend::Sqlite), migrated(Backend::Postgres));
    assert!(sqlite.tables.contains_key("patients") && postgres.tables.contains_key("patients"));

    let mut used = vec![false; EXCEPTIONS.len()];
    let mut unexplained = Vec::new();
    for difference in model::diff(("sqlite", &sqlite), ("postgres", &postgres)) {
        match EXCEPTIONS.iter().position(|e| (e.covers)(&difference, &postgres)) {
            Some(i) => used[i] = true,
            None => unexplained.push(format!("  {difference}")),
        }
    }
    for (exception, used) in EXCEPTIONS.iter().zip(used) {
        if !used {
            unexplained.push(format!(
                "  exception \"{}\" explains no difference any more: remove it",
                exception.name
            ));
        }
    }
    assert!(
        unexplained.is_empty(),
        "migrations/sqlite and migrations/postgres build different schemas ({} tables compared, {:.1?}):\n{}\n\
         Make the migrations agree (in a new migration), or add an exception in core/tests/it/schema/mod.rs \
         saying why the dialects must differ.",
        sqlite.tables.len(),
        started.elapsed(),
        unexplained.join("\n")
    );
}

/// The comparison on SQLite alone (no PostgreSQL needed): a column, with a check, added on one
/// side only is named.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_column_added_to_one_side_only_is_named() {
    let (_dir, options, _) = fresh_database(Backend::Sqlite).await;
    migrate(&options).await.expect("migrate");
    let mut conn = sqlx::SqliteConnection::connect(&options.url).await.expect("connect");
    let migrated = ils_tables(sqlite::introspect(&mut conn).await);
    sqlx::query("ALTER TABLE patients ADD COLUMN schema_probe TEXT CHECK (length(schema_probe) <= 40)")
        .execute(&mut conn)
        .await
        .expect("add a column");
    let changed = ils_tables(sqlite::introspect(&mut conn).await);

    let lines: Vec<String> =
        model::diff(("migrated", &migrated), ("changed", &changed)).iter().map(ToString::to_string).collect();
    assert_eq!(
        lines,
        [
            "patients: column schema_probe (TEXT, nullable) only on changed",
            "patients: check on (schema_probe) only on changed: length(schema_probe) <= 40",
        ]
    );
}
