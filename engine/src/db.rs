//! One SQL layer for SQLite (embedded default) and PostgreSQL (production) through `sqlx::any`.
//!
//! Only integers, strings and byte strings cross the `Any` driver, so instants are stored as
//! BIGINT epoch microseconds and JSON documents as TEXT (see BUILD.md).

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};
use std::str::FromStr;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The shared connection pool and the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pub pool: AnyPool,
    pub backend: Backend,
}

pub type Row = AnyRow;

impl Db {
    /// Connects (creating a SQLite file and its directory when needed) and runs the migrations.
    pub async fn connect(url: &str) -> Result<Db, sqlx::Error> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(sqlx::Error::Configuration(
                format!("unsupported database URL (expected sqlite:… or postgres://…): {url}").into(),
            ));
        };
        let pool = match backend {
            Backend::Sqlite => {
                // Create the file up front: the Any driver cannot pass `create_if_missing`.
                let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url)?
                    .create_if_missing(true)
                    .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
                if let Some(parent) = opts.get_filename().parent() {
                    if !parent.as_os_str().is_empty() {
                        std::fs::create_dir_all(parent).map_err(sqlx::Error::Io)?;
                    }
                }
                let boot = sqlx::SqlitePool::connect_with(opts).await?;
                boot.close().await;
                AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _meta| {
                        Box::pin(async move {
                            // Writers queue instead of failing at once; WAL lets readers go on.
                            conn.execute("pragma busy_timeout = 10000").await?;
                            conn.execute("pragma synchronous = normal").await?;
                            conn.execute("pragma foreign_keys = on").await?;
                            Ok(())
                        })
                    })
                    .connect(url)
                    .await?
            }
            Backend::Postgres => {
                AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect(url)
                    .await?
            }
        };
        let db = Db { pool, backend };
        sqlx::migrate!("../migrations")
            .run(&db.pool)
            .await
            .map_err(|e| sqlx::Error::Migrate(Box::new(e)))?;
        Ok(db)
    }

    /// Begins a transaction that writes. On SQLite it takes the write lock at once
    /// (`begin immediate`) so two writers never deadlock on a read-to-write upgrade.
    pub async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Postgres => self.pool.begin().await,
            Backend::Sqlite => self.pool.begin_with("begin immediate").await,
        }
    }
}

/// Is this a unique-constraint violation (the same on both backends)?
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.is_unique_violation()
                || db.code().as_deref() == Some("23505")
                || db.code().as_deref() == Some("2067")
                || db.code().as_deref() == Some("1555")
        }
        _ => false,
    }
}
