//! Test support: run the same test body against a fresh SQLite file and a fresh
//! PostgreSQL database, so both backends are exercised by every storage test.
//!
//! PostgreSQL is reached at `MINGJING_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database
//! there and drops it afterwards.

use std::future::Future;
use std::path::PathBuf;

use sqlx::{Connection, Executor};

use crate::{Store, StoreError, new_id};

/// Where test databases are created.
pub fn postgres_admin_url() -> String {
    std::env::var("MINGJING_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A fresh database of either backend, removed when dropped.
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

#[derive(Debug)]
enum Cleanup {
    File(PathBuf),
    Database { admin: String, name: String },
}

impl TestDb {
    pub fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("mingjing-test-{}.db", new_id()));
        Self { url: format!("sqlite://{}", path.display()), cleanup: Cleanup::File(path) }
    }

    pub async fn postgres() -> Self {
        sqlx::any::install_default_drivers();
        let admin = postgres_admin_url();
        let name = format!("mingjing_test_{}", new_id());
        let mut conn = sqlx::AnyConnection::connect(&admin)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL for tests at {admin} is not reachable: {e}"));
        // The name is ours (a fresh UUID), not user input.
        let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"));
        conn.execute(create).await.expect("create test database");
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        Self { url: format!("{base}/{name}"), cleanup: Cleanup::Database { admin, name } }
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url).await.unwrap_or_else(|e| panic!("connect {}: {e}", self.url))
    }

    /// Removes the database; call after the store is closed.
    pub async fn remove(self) {
        match self.cleanup {
            Cleanup::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Cleanup::Database { admin, name } => {
                if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin).await {
                    let drop = sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                    let _ = conn.execute(drop).await;
                }
            }
        }
    }
}

/// Runs `body` against a fresh SQLite store, then a fresh PostgreSQL store; a failure
/// names the backend.
pub async fn each_backend<F, Fut>(body: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    for db in [TestDb::sqlite(), TestDb::postgres().await] {
        let store = db.store().await;
        let backend = store.backend();
        let outcome = body(store.clone()).await;
        store.close().await;
        db.remove().await;
        if let Err(e) = outcome {
            panic!("on {backend:?}: {e:?}");
        }
    }
}
