//! Reads the `public` schema of a PostgreSQL database from `pg_catalog` (`pg_attribute`,
//! `pg_index`, `pg_constraint`) and `information_schema.triggers`.

use sqlx::PgConnection;

use super::model::{Check, Column, ForeignKey, Generated, Schema, Storage, Table, Unique};
use super::sql;

/// A PostgreSQL type's family, and how the SQLite migrations store that family (ADR 001: uuids
/// as 16-byte blobs, timestamps as fixed-width UTC text, booleans as integers, JSON as text).
/// Integer widths are one family: SQLite's INTEGER is always 64-bit. A type missing here has no
/// agreed SQLite storage yet; its columns are reported until it is added.
pub fn family(type_name: &str) -> Option<(&'static str, Storage)> {
    Some(match type_name {
        "int2" | "int4" | "int8" => ("integer", Storage::Integer),
        "bool" => ("boolean", Storage::Integer),
        "float4" | "float8" => ("real", Storage::Real),
        "text" | "varchar" | "bpchar" => ("text", Storage::Text),
        "timestamptz" => ("timestamp", Storage::Text),
        "date" => ("date", Storage::Text),
        "json" | "jsonb" => ("json", Storage::Text),
        "uuid" => ("uuid", Storage::Blob),
        "bytea" => ("bytes", Storage::Blob),
        _ => return None,
    })
}

pub async fn introspect(conn: &mut PgConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list PostgreSQL tables");
    for name in tables {
        schema.tables.insert(name, Table::new(true));
    }

    let columns: Vec<ColumnRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, a.attname::text AS name, t.typname::text AS type_name,
                format_type(a.atttypid, a.atttypmod) AS declared, a.attnotnull AS not_null,
                CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, d.adrelid) END AS default_expr,
                a.attgenerated::text AS generated
         FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("PostgreSQL columns");
    for ColumnRow { table_name, name, type_name, declared, not_null, default_expr, generated } in columns {
        let (family, storage) = match family(&type_name) {
            Some((family, storage)) => (Some(family), storage),
            None => (None, Storage::Other(format!("{declared} (no agreed SQLite storage)"))),
        };
        let generated = match generated.as_str() {
            "s" => Some(Generated::Stored),
            "v" => Some(Generated::Virtual),
            _ => None,
        };
        let default = default_expr.map(|d| sql::normalise_text(&d));
        let column = Column { declared, family, storage, nullable: !not_null, default, generated };
        table_mut(&mut schema, &table_name).columns.insert(name, column);
    }

    let indexes: Vec<IndexRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, i.relname::text AS name, x.indisprimary AS primary_key,
                x.indisunique AS is_unique,
                ARRAY(SELECT pg_get_indexdef(x.indexrelid, k, true)
                      FROM generate_series(1, x.indnkeyatts::int) AS k ORDER BY k) AS keys,
                pg_get_expr(x.indpred, x.indrelid) AS predicate
         FROM pg_index x
         JOIN pg_class c ON c.oid = x.indrelid
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("PostgreSQL indexes");
    for IndexRow { table_name, name, primary_key, is_unique, keys, predicate } in indexes {
        let table = table_mut(&mut schema, &table_name);
        let keys: Vec<String> = keys.iter().map(|k| sql::normalise_text(k)).collect();
        if primary_key {
            table.primary_key = keys;
        } else if is_unique {
            let partial_on = predicate.map(|p| sql::mentioned(&sql::tokens(&p), &table.column_names()));
            table.uniques.insert(Unique { columns: keys.into_iter().collect(), partial_on });
        } else {
            table.indexes.insert(name, keys);
        }
    }

    let keys: Vec<ForeignKeyRow> = sqlx::query_as(
        "SELECT c.relname::text AS table_name, f.relname::text AS references_table,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
                      ORDER BY k.ord) AS columns,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum
                      ORDER BY k.ord) AS referenced,
                con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_class f ON f.oid = con.confrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'f' AND n.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("PostgreSQL foreign keys");
    for ForeignKeyRow { table_name, references_table, columns, referenced, on_delete, on_update } in keys {
        let key = ForeignKey {
            columns,
            references: references_table,
            referenced,
            on_delete: action(&on_delete).to_owned(),
            on_update: action(&on_update).to_owned(),
        };
        table_mut(&mut schema, &table_name).foreign_keys.insert(key);
    }

    // `conkey` of a CHECK lists the columns its expression uses.
    let checks: Vec<(String, String, Vec<String>)> = sqlx::query_as(
        "SELECT c.relname::text, pg_get_constraintdef(con.oid),
                ARRAY(SELECT a.attname::text FROM pg_attribute a
                      WHERE a.attrelid = con.conrelid AND a.attnum = ANY (con.conkey))
         FROM pg_constraint con
         JOIN pg_class c ON c.oid = con.conrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE con.contype = 'c' AND n.nspname = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("PostgreSQL checks");
    for (table, def, columns) in checks {
        let expr = sql::unwrap_parens(def.strip_prefix("CHECK ").unwrap_or(&def)).to_owned();
        table_mut(&mut schema, &table).checks.push(Check { columns: columns.into_iter().collect(), expr });
    }

    let triggers: Vec<(String, String, String, String)> = sqlx::query_as(
        "SELECT event_object_table::text, action_timing::text, event_manipulation::text,
                action_orientation::text
         FROM information_schema.triggers WHERE trigger_schema = 'public'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("PostgreSQL triggers");
    for (table, timing, event, orientation) in triggers {
        // SQLite has row triggers only.
        let per = if orientation == "ROW" { String::new() } else { format!(" FOR EACH {orientation}") };
        table_mut(&mut schema, &table).triggers.insert(format!("{timing} {event}{per}"));
    }

    schema.views = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list PostgreSQL views")
    .into_iter()
    .collect();
    schema
}

#[derive(sqlx::FromRow)]
struct ColumnRow {
    table_name: String,
    name: String,
    type_name: String,
    declared: String,
    not_null: bool,
    default_expr: Option<String>,
    /// `pg_attribute.attgenerated`: `s` stored, `v` virtual, empty if not generated.
    generated: String,
}

#[derive(sqlx::FromRow)]
struct IndexRow {
    table_name: String,
    name: String,
    primary_key: bool,
    is_unique: bool,
    /// Each key column's name or expression, as `pg_get_indexdef` prints it.
    keys: Vec<String>,
    predicate: Option<String>,
}

#[derive(sqlx::FromRow)]
struct ForeignKeyRow {
    table_name: String,
    references_table: String,
    columns: Vec<String>,
    referenced: Vec<String>,
    on_delete: String,
    on_update: String,
}

fn table_mut<'a>(schema: &'a mut Schema, name: &str) -> &'a mut Table {
    schema.tables.get_mut(name).unwrap_or_else(|| panic!("{name} is not a table of the public schema"))
}

/// A `pg_constraint.confdeltype`/`confupdtype` code, spelled as SQLite's pragma spells it.
fn action(code: &str) -> &'static str {
    match code {
        "r" => "RESTRICT",
        "c" => "CASCADE",
        "n" => "SET NULL",
        "d" => "SET DEFAULT",
        _ => "NO ACTION",
    }
}
