//! The tables the shared crates query (the outbox, its sequences, the inbox, the parked dead
//! letters) must be the same in both services' databases: those crates' queries are checked
//! at compile time against the order database only (their sqlx.toml), and run against both.

use sqlx::{Connection, PgConnection};

const SHARED_TABLES: [&str; 4] = ["outbox", "outbox_sequences", "inbox", "parked_dead_letters"];

/// Every column of the shared tables, with its type, nullability and default; and every index.
async fn shape(migrator: &sqlx::migrate::Migrator) -> Vec<String> {
    let url = test_support::fresh_database().await;
    let mut db = PgConnection::connect(&url).await.expect("connect");
    migrator.run(&mut db).await.expect("migrate");
    let tables: Vec<String> = SHARED_TABLES.iter().map(|t| (*t).to_owned()).collect();
    let mut shape: Vec<String> = sqlx::query_scalar(
        "SELECT format('%s.%s %s null=%s default=%s', table_name, column_name, data_type,
                       is_nullable, coalesce(column_default, '-'))
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name = ANY($1)",
    )
    .bind(&tables)
    .fetch_all(&mut db)
    .await
    .expect("columns");
    let indexes: Vec<String> = sqlx::query_scalar(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = ANY($1)",
    )
    .bind(&tables)
    .fetch_all(&mut db)
    .await
    .expect("indexes");
    shape.extend(indexes);
    shape.sort();
    shape
}

#[tokio::test]
async fn the_outbox_and_inbox_tables_are_the_same_in_both_databases() {
    let checkout = shape(&checkout_service::MIGRATOR).await;
    let order = shape(&order_service::MIGRATOR).await;

    assert!(
        checkout.iter().any(|c| c.starts_with("outbox.payload "))
            && checkout.iter().any(|c| c.starts_with("inbox.event_id "))
            && checkout
                .iter()
                .any(|c| c.starts_with("parked_dead_letters.header_values ")),
        "the shared tables were not found: {checkout:#?}"
    );
    assert_eq!(checkout, order);
}
