//! The store: connecting, migrating and the tables' entities.

pub mod entity;
pub mod migration;

use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::config::DatabaseSettings;
use migration::Migrator;

/// Opens the configured database. SQLite runs in WAL mode so readers never wait for the
/// writer; PostgreSQL works inside the configured schema, created if missing.
///
/// # Errors
/// The database cannot be reached or opened.
pub async fn connect(settings: &DatabaseSettings) -> Result<DatabaseConnection, DbErr> {
    if let Some(schema) = &settings.schema
        && settings.url.starts_with("postgres")
    {
        create_schema(&settings.url, schema).await?;
    }
    let mut options = ConnectOptions::new(settings.url.clone());
    options
        .max_connections(settings.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        // Statements carry personal data in their parameters; they are never logged.
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Deleted rows (erased data keys) are overwritten, not left in free pages.
                .pragma("secure_delete", "on")
        });
    if let Some(schema) = &settings.schema {
        options.set_schema_search_path(schema.clone());
    }
    Database::connect(options).await
}

async fn create_schema(url: &str, schema: &str) -> Result<(), DbErr> {
    if !schema
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
    {
        return Err(DbErr::Custom(
            "database.schema may hold only letters, digits and _".into(),
        ));
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options).await?;
    db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
        .await?;
    db.close().await
}

/// Starts a transaction that is going to write.
///
/// On SQLite it takes the write lock at its start (`BEGIN IMMEDIATE`), waiting for it
/// like any writer does. A transaction begun the default way takes its snapshot at its
/// first read and asks for the lock only at its first write; if another connection (the
/// outbox relay, a lease renewal, another process) committed in between, SQLite refuses
/// that write at once with `SQLITE_BUSY_SNAPSHOT` (517), without waiting, and the request
/// would fail for nothing. PostgreSQL ignores the mode: its writers lock rows, not the
/// database.
///
/// # Errors
/// The database did not answer, or the lock was not free within the busy timeout.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Applies every pending migration.
///
/// # Errors
/// A migration failed; nothing of that migration is kept on PostgreSQL.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Whether the schema is current: the readiness check.
///
/// # Errors
/// The database cannot be queried.
pub async fn is_migrated(db: &DatabaseConnection) -> Result<bool, DbErr> {
    Ok(Migrator::get_pending_migrations(db).await?.is_empty())
}

/// A cheap round trip to the database.
///
/// # Errors
/// The database does not answer.
pub async fn ping(db: &DatabaseConnection) -> Result<(), DbErr> {
    db.ping().await
}

/// Which SQL dialect a query must be written in.
pub fn backend(db: &impl ConnectionTrait) -> DbBackend {
    db.get_database_backend()
}
