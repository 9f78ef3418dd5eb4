//! Storage failures, with meaning given at the storage boundary (STYLE habit 5).

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row asked for does not exist (or is not visible to the asker).
    #[error("not found")]
    NotFound,
    /// A named unique constraint refused the write.
    #[error("conflicts with an existing row ({constraint})")]
    Conflict {
        /// The constraint, named as in the migrations.
        constraint: String,
    },
    /// The database stayed locked or the pool stayed exhausted past the time-out.
    #[error("the database is busy; try again")]
    Busy,
    /// The store cannot be opened as configured; the message says what to type.
    #[error("{0}")]
    Config(String),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(String),
    /// A stored row does not decode into a valid value.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error(transparent)]
    Database(sqlx::Error),
}

impl StoreError {
    /// Whether this is a conflict on the named constraint.
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, Self::Conflict { constraint } if constraint == name)
    }
}
