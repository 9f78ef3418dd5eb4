use leadpool_store::{Backend, Store};

#[test]
fn both_migration_trees_have_the_same_versions_and_names() {
    let sqlite = Store::known_migrations(Backend::Sqlite);
    let postgres = Store::known_migrations(Backend::Postgres);
    assert!(!sqlite.is_empty(), "no migrations embedded");
    assert_eq!(
        sqlite, postgres,
        "migrations/sqlite and migrations/postgres must move in step"
    );
}
