//! A schema as both dialects can express it, and the differences between two of them.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Debug, Default)]
pub struct Schema {
    pub tables: BTreeMap<String, Table>,
    pub views: BTreeSet<String>,
}

#[derive(Debug)]
pub struct Table {
    /// SQLite enforces declared types (and NOT NULL on primary keys) only in STRICT tables.
    /// Always true on PostgreSQL.
    pub strict: bool,
    pub columns: BTreeMap<String, Column>,
    pub primary_key: Vec<String>,
    pub foreign_keys: BTreeSet<ForeignKey>,
    /// Unique constraints and unique indexes alike.
    pub uniques: BTreeSet<Unique>,
    /// Indexes that are not unique: name → keys (column names or normalised expressions).
    pub indexes: BTreeMap<String, Vec<String>>,
    pub checks: Vec<Check>,
    /// Row triggers, as `BEFORE UPDATE`.
    pub triggers: BTreeSet<String>,
}

impl Table {
    pub fn new(strict: bool) -> Self {
        Self {
            strict,
            columns: BTreeMap::new(),
            primary_key: Vec::new(),
            foreign_keys: BTreeSet::new(),
            uniques: BTreeSet::new(),
            indexes: BTreeMap::new(),
            checks: Vec::new(),
            triggers: BTreeSet::new(),
        }
    }

    pub fn column_names(&self) -> BTreeSet<String> {
        self.columns.keys().cloned().collect()
    }
}

/// What SQLite stores a value as: the part of a column's type both dialects can state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Storage {
    Integer,
    Real,
    Text,
    Blob,
    /// A type with no agreed SQLite storage (see `postgres::family`), or SQLite's `ANY`.
    Other(String),
}

impl fmt::Display for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Storage::Integer => f.write_str("INTEGER"),
            Storage::Real => f.write_str("REAL"),
            Storage::Text => f.write_str("TEXT"),
            Storage::Blob => f.write_str("BLOB"),
            Storage::Other(other) => f.write_str(other),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Generated {
    Virtual,
    Stored,
}

#[derive(Clone, Debug)]
pub struct Column {
    /// The type as declared (`BLOB`, `timestamptz`), for messages.
    pub declared: String,
    /// The type's family (`uuid`, `timestamp`, …): PostgreSQL only, SQLite's types cannot say.
    pub family: Option<&'static str>,
    /// What is compared: SQLite's declared storage class, or the one the SQLite migrations use
    /// for the PostgreSQL type's family.
    pub storage: Storage,
    pub nullable: bool,
    /// Normalised (see `sql::normalise`).
    pub default: Option<String>,
    pub generated: Option<Generated>,
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.declared)?;
        f.write_str(if self.nullable { ", nullable" } else { ", NOT NULL" })?;
        if let Some(default) = &self.default {
            write!(f, ", DEFAULT {default}")?;
        }
        if let Some(generated) = self.generated {
            write!(f, ", GENERATED {generated:?}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ForeignKey {
    pub columns: Vec<String>,
    pub references: String,
    pub referenced: Vec<String>,
    pub on_delete: String,
    pub on_update: String,
}

impl fmt::Display for ForeignKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}) → {} ({})", self.columns.join(", "), self.references, self.referenced.join(", "))?;
        for (event, action) in [("DELETE", &self.on_delete), ("UPDATE", &self.on_update)] {
            if action != "NO ACTION" {
                write!(f, " ON {event} {action}")?;
            }
        }
        Ok(())
    }
}

/// A set of columns that is unique, over all rows or (partial) only where a predicate holds.
/// Predicates are compared by the columns they mention: the dialects spell them differently.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unique {
    pub columns: BTreeSet<String>,
    pub partial_on: Option<BTreeSet<String>>,
}

impl fmt::Display for Unique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unique ({})", join(&self.columns))?;
        if let Some(columns) = &self.partial_on {
            write!(f, " where … ({})", join(columns))?;
        }
        Ok(())
    }
}

/// A CHECK constraint, compared by the columns it mentions: the dialects spell the same rule
/// differently (`GLOB` against `~`, `IN (0, 1)` against a boolean).
#[derive(Clone, Debug)]
pub struct Check {
    pub columns: BTreeSet<String>,
    /// As written (SQLite) or as PostgreSQL prints it, for messages.
    pub expr: String,
}

#[derive(Debug)]
pub struct Difference {
    /// The table (or view) concerned.
    pub table: String,
    /// The names of the two sides compared, left first.
    pub sides: (&'static str, &'static str),
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    /// The table exists only on this side.
    Table(&'static str),
    View(&'static str),
    /// This side's SQLite table is not STRICT.
    NotStrict(&'static str),
    ColumnOnly {
        side: &'static str,
        column: String,
        def: String,
    },
    ColumnType {
        column: String,
        left: String,
        right: String,
    },
    Nullable {
        column: String,
        left: bool,
        right: bool,
    },
    Default {
        column: String,
        left: Option<String>,
        right: Option<String>,
    },
    Generated {
        column: String,
        left: Option<Generated>,
        right: Option<Generated>,
    },
    PrimaryKey {
        left: Vec<String>,
        right: Vec<String>,
    },
    ForeignKey {
        side: &'static str,
        key: ForeignKey,
    },
    Unique {
        side: &'static str,
        unique: Unique,
    },
    IndexOnly {
        side: &'static str,
        name: String,
        keys: Vec<String>,
    },
    IndexKeys {
        name: String,
        left: Vec<String>,
        right: Vec<String>,
    },
    /// The two sides have different numbers of checks on these columns.
    Checks {
        columns: BTreeSet<String>,
        left: Vec<String>,
        right: Vec<String>,
    },
    Trigger {
        side: &'static str,
        trigger: String,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (l, r) = self.sides;
        write!(f, "{}: ", self.table)?;
        match &self.kind {
            Kind::Table(side) => write!(f, "table only on {side}"),
            Kind::View(side) => write!(f, "view only on {side}"),
            Kind::NotStrict(side) => {
                write!(
                    f,
                    "not STRICT on {side}, so SQLite enforces neither its column types nor NOT NULL keys"
                )
            }
            Kind::ColumnOnly { side, column, def } => write!(f, "column {column} ({def}) only on {side}"),
            Kind::ColumnType { column, left, right } => {
                write!(f, "column {column}: type {left} on {l}, {right} on {r}")
            }
            Kind::Nullable { column, left, right } => {
                let says = |nullable: &bool| if *nullable { "nullable" } else { "NOT NULL" };
                write!(f, "column {column}: {} on {l}, {} on {r}", says(left), says(right))
            }
            Kind::Default { column, left, right } => {
                let says = |d: &Option<String>| {
                    d.clone().map_or("no default".to_owned(), |d| format!("DEFAULT {d}"))
                };
                write!(f, "column {column}: {} on {l}, {} on {r}", says(left), says(right))
            }
            Kind::Generated { column, left, right } => {
                let says = |g: &Option<Generated>| {
                    g.map_or("not generated".to_owned(), |g| format!("GENERATED {g:?}"))
                };
                write!(f, "column {column}: {} on {l}, {} on {r}", says(left), says(right))
            }
            Kind::PrimaryKey { left, right } => {
                write!(f, "primary key ({}) on {l}, ({}) on {r}", left.join(", "), right.join(", "))
            }
            Kind::ForeignKey { side, key } => write!(f, "foreign key {key} only on {side}"),
            Kind::Unique { side, unique } => write!(f, "{unique} only on {side}"),
            Kind::IndexOnly { side, name, keys } => {
                write!(f, "index {name} ({}) only on {side}", keys.join(", "))
            }
            Kind::IndexKeys { name, left, right } => {
                write!(f, "index {name}: ({}) on {l}, ({}) on {r}", left.join(", "), right.join(", "))
            }
            Kind::Checks { columns, left, right } if right.is_empty() || left.is_empty() => {
                let (side, exprs) = if right.is_empty() { (l, left) } else { (r, right) };
                write!(f, "check on ({}) only on {side}: {}", join(columns), exprs.join(" | "))
            }
            Kind::Checks { columns, left, right } => write!(
                f,
                "checks on ({}): {} on {l} [{}], {} on {r} [{}]",
                join(columns),
                left.len(),
                left.join(" | "),
                right.len(),
                right.join(" | ")
            ),
            Kind::Trigger { side, trigger } => write!(f, "trigger {trigger} only on {side}"),
        }
    }
}

fn join(columns: &BTreeSet<String>) -> String {
    columns.iter().map(String::as_str).collect::<Vec<_>>().join(", ")
}

/// Every difference between two schemas, table by table.
pub fn diff(left: (&'static str, &Schema), right: (&'static str, &Schema)) -> Vec<Difference> {
    let sides = (left.0, right.0);
    let mut out = Vec::new();
    let mut push = |table: &str, kind: Kind| out.push(Difference { table: table.to_owned(), sides, kind });
    let names: BTreeSet<&String> = left.1.tables.keys().chain(right.1.tables.keys()).collect();
    for name in names {
        match (left.1.tables.get(name), right.1.tables.get(name)) {
            (Some(a), Some(b)) => diff_table(a, b, sides, &mut |kind| push(name, kind)),
            (Some(_), None) => push(name, Kind::Table(sides.0)),
            (None, _) => push(name, Kind::Table(sides.1)),
        }
    }
    for view in left.1.views.difference(&right.1.views) {
        push(view, Kind::View(sides.0));
    }
    for view in right.1.views.difference(&left.1.views) {
        push(view, Kind::View(sides.1));
    }
    out
}

fn diff_table(a: &Table, b: &Table, (l, r): (&'static str, &'static str), push: &mut dyn FnMut(Kind)) {
    for (table, side) in [(a, l), (b, r)] {
        if !table.strict {
            push(Kind::NotStrict(side));
        }
    }

    let names: BTreeSet<&String> = a.columns.keys().chain(b.columns.keys()).collect();
    for name in names {
        let column = name.clone();
        match (a.columns.get(name), b.columns.get(name)) {
            (Some(x), Some(y)) => {
                if x.storage != y.storage {
                    push(Kind::ColumnType { column: column.clone(), left: describe(x), right: describe(y) });
                }
                if x.nullable != y.nullable {
                    push(Kind::Nullable { column: column.clone(), left: x.nullable, right: y.nullable });
                }
                if x.default != y.default {
                    push(Kind::Default {
                        column: column.clone(),
                        left: x.default.clone(),
                        right: y.default.clone(),
                    });
                }
                if x.generated != y.generated {
                    push(Kind::Generated { column, left: x.generated, right: y.generated });
                }
            }
            (Some(x), None) => push(Kind::ColumnOnly { side: l, column, def: x.to_string() }),
            (None, Some(y)) => push(Kind::ColumnOnly { side: r, column, def: y.to_string() }),
            (None, None) => {}
        }
    }

    if a.primary_key != b.primary_key {
        push(Kind::PrimaryKey { left: a.primary_key.clone(), right: b.primary_key.clone() });
    }
    for key in a.foreign_keys.difference(&b.foreign_keys) {
        push(Kind::ForeignKey { side: l, key: key.clone() });
    }
    for key in b.foreign_keys.difference(&a.foreign_keys) {
        push(Kind::ForeignKey { side: r, key: key.clone() });
    }
    for unique in a.uniques.difference(&b.uniques) {
        push(Kind::Unique { side: l, unique: unique.clone() });
    }
    for unique in b.uniques.difference(&a.uniques) {
        push(Kind::Unique { side: r, unique: unique.clone() });
    }

    let names: BTreeSet<&String> = a.indexes.keys().chain(b.indexes.keys()).collect();
    for name in names {
        match (a.indexes.get(name), b.indexes.get(name)) {
            (Some(x), Some(y)) if x != y => {
                push(Kind::IndexKeys { name: name.clone(), left: x.clone(), right: y.clone() })
            }
            (Some(x), None) => push(Kind::IndexOnly { side: l, name: name.clone(), keys: x.clone() }),
            (None, Some(y)) => push(Kind::IndexOnly { side: r, name: name.clone(), keys: y.clone() }),
            _ => {}
        }
    }

    let by_columns = |table: &Table| {
        let mut map: BTreeMap<BTreeSet<String>, Vec<String>> = BTreeMap::new();
        for check in &table.checks {
            map.entry(check.columns.clone()).or_default().push(check.expr.clone());
        }
        map
    };
    let (x, y) = (by_columns(a), by_columns(b));
    let sets: BTreeSet<&BTreeSet<String>> = x.keys().chain(y.keys()).collect();
    for columns in sets {
        let left = x.get(columns).cloned().unwrap_or_default();
        let right = y.get(columns).cloned().unwrap_or_default();
        if left.len() != right.len() {
            push(Kind::Checks { columns: columns.clone(), left, right });
        }
    }

    for trigger in a.triggers.difference(&b.triggers) {
        push(Kind::Trigger { side: l, trigger: trigger.clone() });
    }
    for trigger in b.triggers.difference(&a.triggers) {
        push(Kind::Trigger { side: r, trigger: trigger.clone() });
    }
}

/// A column's type for a message: the declared type, and for a PostgreSQL family how SQLite is
/// meant to store it.
fn describe(column: &Column) -> String {
    match (column.family, &column.storage) {
        (Some(family), storage) => format!("{} ({family}: {storage} on SQLite)", column.declared),
        (None, Storage::Other(other)) => other.clone(),
        (None, _) => column.declared.clone(),
    }
}
