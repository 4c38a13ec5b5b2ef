//! The whole data set as one file and back (docs/export-format.md): gzip'd JSON lines — a header naming the format,
//! its version, the schema and every table's columns; one line per row, tables parents first, rows in key order; a
//! trailer with per-table counts and the SHA-256 of the row lines. The same rows give the same file on SQLite and
//! PostgreSQL, so a county can move from one to the other and check that nothing changed on the way.
//!
//! A table added by a later migration is one more line in [`TABLES`]; a test fails while a table of the migrated
//! schema is in neither [`TABLES`] nor [`NOT_EXPORTED`].

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use futures_util::TryStreamExt;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::{Backend, Store, StoreError};

/// The `format` of the header line.
pub const FORMAT: &str = "mingjing-export";
/// The version of the file format (not of the schema): a reader refuses any other.
pub const FORMAT_VERSION: i64 = 1;

/// One exported table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Columns whose values sort the rows and name each row (a unique key), so the order is the same everywhere.
    pub key: &'static [&'static str],
    /// Columns written only after every table is in: a locked meeting record refuses new agenda, attendance and
    /// criticism rows (a trigger), so it is imported unlocked and locked at the end, as it was.
    pub deferred: &'static [&'static str],
}

const fn table(name: &'static str, key: &'static [&'static str]) -> Table {
    Table { name, key, deferred: &[] }
}

/// Every table, each after the tables it refers to. Organizations sort by path, so a parent comes before its children.
pub const TABLES: &[Table] = &[
    table("organizations", &["path"]),
    table("members", &["id"]),
    table("accounts", &["id"]),
    table("campaigns", &["id"]),
    table("materials", &["id"]),
    table("material_versions", &["material_id", "version"]),
    table("reviews", &["material_id", "version"]),
    table("approvals", &["id"]),
    table("approval_notes", &["id"]),
    table("reference_documents", &["id"]),
    table("audit_log", &["id"]),
    table("roster_imports", &["id"]),
    table("matters_reports", &["id"]),
    table("study_sessions", &["id"]),
    table("study_attendance", &["session_id", "member_id"]),
    table("talks", &["id"]),
    table("campaign_talk_settings", &["campaign_id"]),
    table("opinion_channels", &["id"]),
    table("opinions", &["id"]),
    table("opinion_summaries", &["campaign_id", "member_id"]),
    table("campaign_opinion_settings", &["campaign_id"]),
    Table { name: "meetings", key: &["id"], deferred: &["locked_at", "locked_by", "content_hash"] },
    table("meeting_agenda", &["meeting_id", "position"]),
    table("meeting_attendance", &["meeting_id", "member_id"]),
    table("meeting_criticisms", &["meeting_id", "position"]),
    table("meeting_notes", &["meeting_id", "seq"]),
    table("campaign_appraisal_settings", &["campaign_id"]),
    table("self_evaluations", &["campaign_id", "member_id"]),
    table("mutual_evaluations", &["id"]),
    table("ballot_rounds", &["id"]),
    table("ballot_graded", &["round_id", "member_id"]),
    table("ballot_voters", &["round_id", "member_id"]),
    table("ballot_codes", &["round_id", "code_hash"]),
    table("ballot_choices", &["round_id", "shuffle_key"]),
    table("ballot_tallies", &["round_id", "member_id", "grade"]),
    table("grade_decisions", &["campaign_id", "member_id"]),
    table("appraisal_followups", &["id"]),
    table("rectification_items", &["id"]),
    table("rectification_notes", &["id"]),
    table("rectification_attachments", &["id"]),
    table("rectification_publications", &["campaign_id", "org_id"]),
    table("rectification_carryovers", &["campaign_id", "item_id"]),
    table("branch_reports", &["id"]),
    table("branch_report_submissions", &["report_id", "seq"]),
    table("recovery_codes", &["account_id", "code_hash"]),
    table("audit_cuts", &["id"]),
];

/// Tables of the schema left out on purpose, and why.
pub const NOT_EXPORTED: &[(&str, &str)] = &[
    ("_sqlx_migrations", "the schema's own history: the target database is migrated by this program"),
    ("sessions", "sign-ins: everyone signs in again on the new server"),
    ("login_challenges", "half-finished sign-ins waiting for a second factor, ten minutes at most"),
];

/// A column's type in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Integer,
    Real,
    Bytes,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Text => "text",
            Self::Integer => "integer",
            Self::Real => "real",
            Self::Bytes => "bytes",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Text, Self::Integer, Self::Real, Self::Bytes].into_iter().find(|k| k.name() == name)
    }

    /// The kind of a declared SQL type, SQLite's (`INTEGER`, `TEXT`, `REAL`, `BLOB`) or PostgreSQL's.
    fn of_declared(declared: &str) -> Option<Self> {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") {
            Some(Self::Integer)
        } else if t.contains("char") || t.contains("text") || t.contains("clob") {
            Some(Self::Text)
        } else if t.contains("real") || t.contains("floa") || t.contains("doub") {
            Some(Self::Real)
        } else if t.contains("blob") || t.contains("bytea") {
            Some(Self::Bytes)
        } else {
            None
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    kind: Kind,
}

/// What an export or import moved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportSummary {
    /// The schema version (newest migration) of the data.
    pub schema: i64,
    /// Rows per table, in file order.
    pub rows: Vec<(String, u64)>,
    /// SHA-256 of the row lines, as in the trailer: equal for equal data.
    pub sha256: String,
}

impl ExportSummary {
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, n)| n).sum()
    }
}

/// Why an export or import cannot go ahead; the messages are for the operator, in Chinese.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("导出文件 {0} 已存在，请换一个文件名（不会覆盖已有的文件）")]
    Exists(PathBuf),
    #[error("文件操作失败（{path}）：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{0} 不是明镜的导出文件")]
    NotAnExport(PathBuf),
    #[error("导出文件的格式版本是 {found}，本程序只能读取版本 {FORMAT_VERSION}")]
    OtherVersion { found: i64 },
    #[error("导出文件来自更新的版本（数据结构版本 {found}，本程序只认识到 {known}），请用新版程序导入")]
    Newer { found: i64, known: i64 },
    #[error(
        "目标数据库不是空的（{table} 表已有 {rows} 行）：只能导入到新建的空数据库（不要先运行 init 或 serve --demo）"
    )]
    NotEmpty { table: String, rows: i64 },
    #[error("导出文件损坏或不完整：{0}")]
    Corrupt(String),
    #[error("导出文件的内容与其校验值不符（文件被改动或损坏），未导入任何数据")]
    Checksum,
    #[error("数据库的数据结构与本程序不符：{0}")]
    Schema(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ExportError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::from(e))
    }
}

/// The columns of `table` in the database, in their order there; empty when the table does not exist.
async fn columns_of(conn: &mut AnyConnection, backend: Backend, table: &str) -> Result<Vec<Column>, ExportError> {
    let sql = match backend {
        Backend::Sqlite => "SELECT name, type FROM pragma_table_info($1) ORDER BY cid",
        Backend::Postgres => {
            "SELECT column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
        }
    };
    let rows = sqlx::query(sql).bind(table).fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| {
            let name: String = row.try_get(0)?;
            let declared: String = row.try_get(1)?;
            let kind = Kind::of_declared(&declared)
                .ok_or_else(|| ExportError::Schema(format!("{table}.{name} 的类型 {declared} 无法导出")))?;
            Ok(Column { name, kind })
        })
        .collect()
}

/// The tables of the migrated schema.
pub async fn schema_tables(store: &Store) -> Result<Vec<String>, StoreError> {
    let sql = match store.backend() {
        Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        }
        Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name"
        }
    };
    Ok(sqlx::query_scalar(sql).fetch_all(store.pool()).await?)
}

async fn applied_schema(conn: &mut AnyConnection) -> Result<i64, ExportError> {
    Ok(sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(&mut *conn).await?)
}

/// `ORDER BY` over a table's key, byte order on both backends (PostgreSQL's default collation is the locale's).
fn order_by(backend: Backend, table: &Table, columns: &[Column]) -> String {
    table
        .key
        .iter()
        .map(|key| {
            let text = columns.iter().any(|c| c.name == *key && c.kind == Kind::Text);
            match backend {
                Backend::Postgres if text => format!("{key} COLLATE \"C\""),
                _ => (*key).to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn value_of(row: &AnyRow, index: usize, kind: Kind) -> Result<Value, ExportError> {
    Ok(match kind {
        Kind::Text => row.try_get::<Option<String>, _>(index)?.map_or(Value::Null, Value::String),
        Kind::Integer => row.try_get::<Option<i64>, _>(index)?.map_or(Value::Null, Value::from),
        Kind::Real => match row.try_get::<Option<f64>, _>(index)? {
            None => Value::Null,
            Some(x) => serde_json::Number::from_f64(x)
                .map(Value::Number)
                .ok_or_else(|| ExportError::Schema(format!("第 {index} 列的数值 {x} 无法写入")))?,
        },
        Kind::Bytes => {
            row.try_get::<Option<Vec<u8>>, _>(index)?.map_or(Value::Null, |b| json!({ "base64": BASE64.encode(b) }))
        }
    })
}

/// `path` with `suffix` appended to its file name.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::Io { path: path.to_owned(), source }
}

impl Store {
    /// Writes every row of every table in [`TABLES`] to `out`, from one consistent snapshot of the database. The file
    /// is written beside `out` and renamed when whole, so an interrupted export leaves no file that looks complete.
    pub async fn export_to(&self, out: &Path, now: i64) -> Result<ExportSummary, ExportError> {
        if out.exists() {
            return Err(ExportError::Exists(out.to_owned()));
        }
        let partial = sidecar(out, ".partial");
        let outcome = self.write_export(&partial, now).await;
        match outcome {
            Ok(summary) => {
                std::fs::rename(&partial, out).map_err(io(out))?;
                Ok(summary)
            }
            Err(e) => {
                let _ = std::fs::remove_file(&partial);
                Err(e)
            }
        }
    }

    async fn write_export(&self, path: &Path, now: i64) -> Result<ExportSummary, ExportError> {
        let file = std::fs::File::create(path).map_err(io(path))?;
        let mut gz = GzEncoder::new(BufWriter::new(file), Compression::default());
        let mut tx = self.pool().begin().await?;
        if self.backend() == Backend::Postgres {
            // Every table from the same snapshot, as pg_dump reads them.
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
            // Floats sent as text keep all their digits, so a value exported from PostgreSQL is the value stored.
            sqlx::query("SET LOCAL extra_float_digits = 3").execute(&mut *tx).await?;
        }
        let schema = applied_schema(&mut tx).await?;
        let mut layout = Vec::with_capacity(TABLES.len());
        for table in TABLES {
            let columns = columns_of(&mut tx, self.backend(), table.name).await?;
            if columns.is_empty() {
                return Err(ExportError::Schema(format!("缺少 {} 表", table.name)));
            }
            layout.push((table, columns));
        }
        let header = json!({
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "schema": schema,
            "exported_at": now,
            "tables": layout.iter().map(|(table, columns)| json!({
                "name": table.name,
                "columns": columns.iter().map(|c| json!([c.name, c.kind.name()])).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        });
        writeln!(gz, "{header}").map_err(io(path))?;
        let mut hasher = Sha256::new();
        let mut counts = Vec::with_capacity(layout.len());
        for (table, columns) in &layout {
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let sql = format!(
                "SELECT {} FROM {} ORDER BY {}",
                names.join(", "),
                table.name,
                order_by(self.backend(), table, columns)
            );
            // Table and column names come from TABLES and the database's own catalogue, never from input.
            let sql = sqlx::AssertSqlSafe(sql);
            let mut rows = sqlx::query(sql).fetch(&mut *tx);
            let mut count = 0u64;
            while let Some(row) = rows.try_next().await? {
                let values = columns
                    .iter()
                    .enumerate()
                    .map(|(i, c)| value_of(&row, i, c.kind))
                    .collect::<Result<Vec<_>, _>>()?;
                let line = format!("{}\n", json!({ "t": table.name, "r": values }));
                hasher.update(line.as_bytes());
                gz.write_all(line.as_bytes()).map_err(io(path))?;
                count += 1;
            }
            counts.push((table.name.to_owned(), count));
        }
        drop(tx);
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let rows: serde_json::Map<String, Value> = counts.iter().map(|(t, n)| (t.clone(), Value::from(*n))).collect();
        writeln!(gz, "{}", json!({ "end": true, "rows": rows, "sha256": sha256 })).map_err(io(path))?;
        let file = gz.finish().map_err(io(path))?.into_inner().map_err(|e| io(path)(e.into_error()))?;
        file.sync_all().map_err(io(path))?;
        Ok(ExportSummary { schema, rows: counts, sha256 })
    }

    /// Loads an export file into this database, which must be migrated and empty, in one transaction: on any error
    /// nothing is written. The audit log comes across with its hash chain as it was.
    pub async fn import_from(&self, path: &Path) -> Result<ExportSummary, ExportError> {
        let file = std::fs::File::open(path).map_err(io(path))?;
        let mut lines = BufReader::new(GzDecoder::new(file)).lines();
        let corrupt = |e: std::io::Error| ExportError::Corrupt(e.to_string());
        let first = match lines.next() {
            Some(Ok(line)) => line,
            _ => return Err(ExportError::NotAnExport(path.to_owned())),
        };
        let header: Value = serde_json::from_str(&first).map_err(|_| ExportError::NotAnExport(path.to_owned()))?;
        if header["format"] != FORMAT {
            return Err(ExportError::NotAnExport(path.to_owned()));
        }
        let version = header["version"].as_i64().unwrap_or(0);
        if version != FORMAT_VERSION {
            return Err(ExportError::OtherVersion { found: version });
        }
        let schema = header["schema"].as_i64().ok_or_else(|| ExportError::Corrupt("文件头缺少数据结构版本".into()))?;
        let known = Store::schema_version();
        if schema > known {
            return Err(ExportError::Newer { found: schema, known });
        }

        let mut tx = self.pool().begin().await?;
        let plan = self.import_plan(&mut tx, &header).await?;
        for (table, _, _) in &plan {
            let count_sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {}", table.name));
            let rows: i64 = sqlx::query_scalar(count_sql).fetch_one(&mut *tx).await?;
            if rows > 0 {
                return Err(ExportError::NotEmpty { table: table.name.to_owned(), rows });
            }
        }

        let mut hasher = Sha256::new();
        let mut counts: Vec<(String, u64)> = plan.iter().map(|(t, _, _)| (t.name.to_owned(), 0)).collect();
        let mut at = 0usize;
        let mut deferred: Vec<(usize, Vec<Value>, Vec<Value>)> = Vec::new();
        let mut trailer = None;
        for line in lines.by_ref() {
            let line = line.map_err(corrupt)?;
            let value: Value = serde_json::from_str(&line).map_err(|e| ExportError::Corrupt(e.to_string()))?;
            if value["end"] == true {
                trailer = Some(value);
                break;
            }
            let name = value["t"].as_str().ok_or_else(|| ExportError::Corrupt("有一行没有表名".into()))?;
            while plan.get(at).is_some_and(|(t, _, _)| t.name != name) {
                at += 1;
            }
            let Some((table, columns, insert)) = plan.get(at) else {
                return Err(ExportError::Corrupt(format!("{name} 表的行不在文件头所列的位置")));
            };
            let values = value["r"]
                .as_array()
                .filter(|r| r.len() == columns.len())
                .ok_or_else(|| ExportError::Corrupt(format!("{name} 表有一行的列数与文件头不符")))?;
            let mut query = sqlx::query(sqlx::AssertSqlSafe(insert.clone()));
            let mut later = Vec::new();
            for (column, value) in columns.iter().zip(values) {
                if table.deferred.contains(&column.name.as_str()) {
                    later.push(value.clone());
                    query = bind(query, column, &Value::Null)?;
                } else {
                    query = bind(query, column, value)?;
                }
            }
            query.execute(&mut *tx).await?;
            if later.iter().any(|v| !v.is_null()) {
                let key = key_values(table, columns, values);
                deferred.push((at, key, later));
            }
            hasher.update(line.as_bytes());
            hasher.update(b"\n");
            counts[at].1 += 1;
        }
        let trailer = trailer.ok_or_else(|| ExportError::Corrupt("文件不完整（缺少结尾行）".into()))?;
        if lines.any(|l| !l.is_ok_and(|l| l.trim().is_empty())) {
            return Err(ExportError::Corrupt("结尾行之后还有内容".into()));
        }
        let sha256: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let counts_match = counts.iter().all(|(t, n)| trailer["rows"][t].as_u64().unwrap_or(0) == *n)
            && trailer["rows"].as_object().is_some_and(|o| o.len() == counts.len());
        if trailer["sha256"] != sha256.as_str() || !counts_match {
            return Err(ExportError::Checksum);
        }
        for (at, key, later) in deferred {
            let (table, columns, _) = &plan[at];
            let sets: Vec<String> =
                table.deferred.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
            let wheres: Vec<String> =
                table.key.iter().enumerate().map(|(i, c)| format!("{c} = ${}", table.deferred.len() + i + 1)).collect();
            let sql = format!("UPDATE {} SET {} WHERE {}", table.name, sets.join(", "), wheres.join(" AND "));
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for (name, value) in table.deferred.iter().zip(&later).chain(table.key.iter().zip(&key)) {
                let column = columns
                    .iter()
                    .find(|c| c.name == *name)
                    .ok_or_else(|| ExportError::Schema(format!("{}.{name} 不在文件中", table.name)))?;
                query = bind(query, column, value)?;
            }
            query.execute(&mut *tx).await?;
        }
        if self.backend() == Backend::Postgres {
            restore_sequences(&mut tx).await?;
        }
        tx.commit().await?;
        Ok(ExportSummary { schema, rows: counts, sha256 })
    }

    /// For each table of the file's header, in order: the table, the file's columns with this database's types,
    /// and the insert statement. A table or column this program does not know is an error; a table or column the
    /// file lacks (it is older) is left empty or to its default.
    async fn import_plan(
        &self,
        conn: &mut AnyConnection,
        header: &Value,
    ) -> Result<Vec<(&'static Table, Vec<Column>, String)>, ExportError> {
        let tables = header["tables"].as_array().ok_or_else(|| ExportError::Corrupt("文件头缺少表的列表".into()))?;
        let mut plan = Vec::with_capacity(tables.len());
        let mut last = None;
        for entry in tables {
            let name = entry["name"].as_str().unwrap_or_default();
            let (index, table) = TABLES
                .iter()
                .enumerate()
                .find(|(_, t)| t.name == name)
                .ok_or_else(|| ExportError::Schema(format!("文件中的 {name} 表本程序不认识")))?;
            if last.is_some_and(|l| l >= index) {
                return Err(ExportError::Corrupt(format!("{name} 表的位置不对")));
            }
            last = Some(index);
            let here = columns_of(conn, self.backend(), name).await?;
            let mut columns = Vec::new();
            for column in entry["columns"].as_array().into_iter().flatten() {
                let column_name = column[0].as_str().unwrap_or_default();
                let file_kind = column[1].as_str().and_then(Kind::from_name);
                let ours = here
                    .iter()
                    .find(|c| c.name == column_name)
                    .ok_or_else(|| ExportError::Schema(format!("文件中的 {name}.{column_name} 列本程序不认识")))?;
                if file_kind != Some(ours.kind) {
                    return Err(ExportError::Schema(format!("{name}.{column_name} 列的类型与文件不符")));
                }
                // The database's spelling, never the file's text, goes into the SQL.
                columns.push(ours.clone());
            }
            let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let insert =
                format!("INSERT INTO {} ({}) VALUES ({})", table.name, names.join(", "), placeholders.join(", "));
            plan.push((table, columns, insert));
        }
        Ok(plan)
    }
}

fn key_values(table: &Table, columns: &[Column], values: &[Value]) -> Vec<Value> {
    table
        .key
        .iter()
        .map(|key| columns.iter().position(|c| c.name == *key).map_or(Value::Null, |i| values[i].clone()))
        .collect()
}

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>;

/// Binds a value from the file as the column's type; a value of the wrong type is a corrupt file.
fn bind<'q>(query: AnyQuery<'q>, column: &Column, value: &Value) -> Result<AnyQuery<'q>, ExportError> {
    let wrong = || ExportError::Corrupt(format!("{} 列有一个值的类型不对", column.name));
    Ok(match column.kind {
        Kind::Text => query.bind(match value {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            _ => return Err(wrong()),
        }),
        Kind::Integer => query.bind(match value {
            Value::Null => None,
            other => Some(other.as_i64().ok_or_else(wrong)?),
        }),
        Kind::Real => query.bind(match value {
            Value::Null => None,
            other => Some(other.as_f64().ok_or_else(wrong)?),
        }),
        Kind::Bytes => query.bind(match value {
            Value::Null => None,
            other => {
                let text = other["base64"].as_str().ok_or_else(wrong)?;
                Some(BASE64.decode(text).map_err(|_| wrong())?)
            }
        }),
    })
}

/// Sets every sequence behind a serial or identity column past the largest value imported, so the next row the
/// application adds does not collide. (The schema has none today: ids are generated by the application.)
async fn restore_sequences(conn: &mut AnyConnection) -> Result<(), ExportError> {
    let rows = sqlx::query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND (column_default LIKE 'nextval(%' OR is_identity = 'YES')",
    )
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        let (table, column): (String, String) = (row.try_get(0)?, row.try_get(1)?);
        // Names from the catalogue, quoted as identifiers.
        let sql = format!(
            "SELECT setval(pg_get_serial_sequence('\"{t}\"', '{c}'), COALESCE((SELECT MAX(\"{c}\") FROM \"{t}\"), 0) + 1, false)",
            t = table.replace('"', "\"\""),
            c = column.replace('"', "\"\"").replace('\'', "''"),
        );
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// The rows of an export file as `(header without exported_at, row lines, trailer)`, for comparing two exports.
pub fn read_lines(path: &Path) -> Result<(Value, Vec<String>, Value), ExportError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut lines = BufReader::new(GzDecoder::new(file)).lines();
    let mut header: Value = match lines.next() {
        Some(Ok(line)) => serde_json::from_str(&line).map_err(|_| ExportError::NotAnExport(path.to_owned()))?,
        _ => return Err(ExportError::NotAnExport(path.to_owned())),
    };
    if let Some(object) = header.as_object_mut() {
        object.remove("exported_at");
    }
    let mut rows = Vec::new();
    let mut trailer = Value::Null;
    for line in lines {
        let line = line.map_err(|e| ExportError::Corrupt(e.to_string()))?;
        if line.starts_with("{\"end\"") {
            trailer = serde_json::from_str(&line).map_err(|e| ExportError::Corrupt(e.to_string()))?;
        } else {
            rows.push(line);
        }
    }
    Ok((header, rows, trailer))
}

/// Rows per table in a summary, as a map (for messages and tests).
pub fn counts(summary: &ExportSummary) -> BTreeMap<&str, u64> {
    summary.rows.iter().map(|(t, n)| (t.as_str(), *n)).collect()
}

#[cfg(test)]
#[path = "export_tests.rs"]
mod tests;
