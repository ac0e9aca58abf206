//! The broker frozen (SIGSTOP) for 10 s under load, then resumed: writes keep succeeding (the
//! outbox holds the events), the backlog drains, every saga ends, nothing is lost.

use std::time::Duration;

use orderflow_tests::{Options, System};
use test_support::KafkaCluster;

#[tokio::test]
async fn a_broker_paused_for_ten_seconds_under_load_loses_nothing() {
    // A broker of this test's own, so freezing it disturbs no other test.
    let broker = KafkaCluster::start(1).await;
    let system = System::start_with(Options {
        brokers: Some(broker.bootstrap()),
        ..Options::default()
    })
    .await;
    let (_, warm) = system.submit_checkout("customer-0", "tok_visa").await;
    assert_eq!(
        system
            .wait_final("customer-0", &warm, Duration::from_secs(30))
            .await["status"],
        "COMPLETED"
    );

    broker.signal(0, "-STOP");
    let mut checkouts = Vec::new();
    for i in 1..=10 {
        checkouts.push((
            i,
            system
                .submit_checkout(&format!("customer-{i}"), "tok_visa")
                .await
                .1,
        ));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(5)).await;
    broker.signal(0, "-CONT");

    system.assert_all_complete(&checkouts).await;
    let unpublished: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
            .fetch_one(&system.checkout_db)
            .await
            .expect("count");
    assert_eq!(unpublished, 0, "the backlog drained");
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&system.order_db)
        .await
        .expect("count");
    assert_eq!(orders, 11, "one order per checkout");
}
