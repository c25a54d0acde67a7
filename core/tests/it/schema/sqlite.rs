//! Reads a SQLite schema: `pragma_table_list`, `pragma_table_xinfo`, `pragma_foreign_key_list`,
//! `pragma_index_list`/`pragma_index_info`, and the statements kept in `sqlite_master` for what
//! no pragma tells (CHECK constraints, index expressions and predicates, trigger events).

use std::collections::BTreeMap;

use sqlx::SqliteConnection;

use super::model::{Check, Column, ForeignKey, Generated, Schema, Storage, Table, Unique};
use super::sql;

pub async fn introspect(conn: &mut SqliteConnection) -> Schema {
    let mut schema = Schema::default();
    let tables: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT l.name, l.strict, m.sql FROM pragma_table_list AS l
         JOIN sqlite_master AS m ON m.type = 'table' AND m.name = l.name
         WHERE l.schema = 'main' AND l.type = 'table'",
    )
    .fetch_all(&mut *conn)
    .await
    .expect("list SQLite tables");
    for (name, strict, create) in tables {
        let table = read_table(conn, &name, strict != 0, &create).await;
        schema.tables.insert(name, table);
    }

    let triggers: Vec<(String, String)> =
        sqlx::query_as("SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'")
            .fetch_all(&mut *conn)
            .await
            .expect("list SQLite triggers");
    for (table, create) in triggers {
        let (timing, event) = sql::trigger_event(&sql::tokens(&create))
            .unwrap_or_else(|| panic!("cannot read when trigger fires: {create}"));
        if let Some(table) = schema.tables.get_mut(&table) {
            table.triggers.insert(format!("{timing} {event}"));
        }
    }

    schema.views = sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'view'")
        .fetch_all(&mut *conn)
        .await
        .expect("list SQLite views")
        .into_iter()
        .collect();
    schema
}

async fn read_table(conn: &mut SqliteConnection, name: &str, strict: bool, create: &str) -> Table {
    let mut table = Table::new(strict);

    let columns: Vec<(String, String, i64, Option<String>, i64, i64)> = sqlx::query_as(
        r#"SELECT name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo($1) ORDER BY cid"#,
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .expect("SQLite columns");
    let mut primary_key = BTreeMap::new();
    for (column, declared, not_null, default, pk, hidden) in columns {
        let storage = match declared.to_ascii_uppercase().as_str() {
            "INT" | "INTEGER" => Storage::Integer,
            "REAL" => Storage::Real,
            "TEXT" => Storage::Text,
            "BLOB" => Storage::Blob,
            _ => Storage::Other(declared.clone()),
        };
        let generated = match hidden {
            2 => Some(Generated::Virtual),
            3 => Some(Generated::Stored),
            _ => None,
        };
        if pk > 0 {
            primary_key.insert(pk, column.clone());
        }
        let default = default.map(|d| sql::normalise_text(&d));
        let nullable = not_null == 0;
        table
            .columns
            .insert(column, Column { declared, family: None, storage, nullable, default, generated });
    }
    table.primary_key = primary_key.into_values().collect();

    let keys: Vec<(i64, String, String, Option<String>, String, String)> = sqlx::query_as(
        r#"SELECT id, "table", "from", "to", on_update, on_delete
           FROM pragma_foreign_key_list($1) ORDER BY id, seq"#,
    )
    .bind(name)
    .fetch_all(&mut *conn)
    .await
    .expect("SQLite foreign keys");
    let mut by_id: BTreeMap<i64, ForeignKey> = BTreeMap::new();
    for (id, references, from, to, on_update, on_delete) in keys {
        let key = by_id.entry(id).or_insert_with(|| ForeignKey {
            columns: Vec::new(),
            references,
            referenced: Vec::new(),
            on_delete,
            on_update,
        });
        key.columns.push(from);
        key.referenced.extend(to);
    }
    for mut key in by_id.into_values() {
        if key.referenced.is_empty() {
            // `REFERENCES t` without columns means t's primary key.
            key.referenced =
                sqlx::query_scalar("SELECT name FROM pragma_table_info($1) WHERE pk > 0 ORDER BY pk")
                    .bind(&key.references)
                    .fetch_all(&mut *conn)
                    .await
                    .expect("SQLite referenced primary key");
        }
        table.foreign_keys.insert(key);
    }

    let column_names = table.column_names();
    let indexes: Vec<(String, i64, String)> =
        sqlx::query_as(r#"SELECT name, "unique", origin FROM pragma_index_list($1)"#)
            .bind(name)
            .fetch_all(&mut *conn)
            .await
            .expect("SQLite indexes");
    for (index, unique, origin) in indexes {
        if origin == "pk" {
            continue;
        }
        let named: Vec<Option<String>> =
            sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                .bind(&index)
                .fetch_all(&mut *conn)
                .await
                .expect("SQLite index columns");
        // Indexes made by UNIQUE constraints have no statement; CREATE INDEX ones do.
        let create: Option<String> =
            sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND name = $1")
                .bind(&index)
                .fetch_optional(&mut *conn)
                .await
                .expect("SQLite index statement")
                .flatten();
        let tokens = create.as_deref().map(sql::tokens).unwrap_or_default();
        let (parsed, predicate) = sql::index_parts(&tokens);
        let keys: Vec<String> = named
            .into_iter()
            .enumerate()
            .map(|(i, name)| name.or_else(|| parsed.get(i).cloned()).unwrap_or_else(|| "?".to_owned()))
            .collect();
        if unique != 0 {
            let partial_on = (!predicate.is_empty()).then(|| sql::mentioned(predicate, &column_names));
            table.uniques.insert(Unique { columns: keys.into_iter().collect(), partial_on });
        } else {
            table.indexes.insert(index, keys);
        }
    }

    let tokens = sql::tokens(create);
    for expr in sql::checks(&tokens) {
        let columns = sql::mentioned(expr, &column_names);
        table.checks.push(Check { columns, expr: sql::text(create, expr).to_owned() });
    }
    table
}
