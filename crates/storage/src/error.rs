//! Storage errors: what callers must tell apart (missing, conflicting, retryable), and
//! everything else as a database failure to log.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL must start with sqlite:// or postgres://")]
    UnsupportedUrl,
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("not found")]
    NotFound,
    /// A unique key is taken (a login, a phone number, a material already begun).
    #[error("already exists: {0}")]
    Duplicate(String),
    /// The row changed since the caller read it (optimistic locking).
    #[error("changed by someone else")]
    Stale,
    /// A state change that the current state forbids (submitting an approved material).
    #[error("not allowed in this state: {0}")]
    State(String),
    /// A sealed value cannot be opened (no key, another key, tampered), or a value cannot be sealed.
    #[error(transparent)]
    Sealed(#[from] crate::sealing::SealError),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
}

impl StoreError {
    /// Whether the failure is a serialization conflict worth retrying (SQLSTATE 40001 on
    /// PostgreSQL and the distributed engines; SQLITE_BUSY on SQLite).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Database(sqlx::Error::Database(db)) => {
                matches!(db.code().as_deref(), Some("40001" | "40P01" | "5" | "517"))
            }
            _ => false,
        }
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => Self::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Duplicate(db.constraint().unwrap_or_else(|| db.message()).to_owned())
            }
            _ => Self::Database(error),
        }
    }
}
