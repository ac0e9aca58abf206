//! A three-broker cluster (topics with three replicas, `min.insync.replicas=2`) losing the
//! leader of the partitions in use under load: leadership moves to a replica, writes with
//! `acks=all` go on on the two left, the killed broker comes back on its data and catches up,
//! and every saga ends with nothing lost or done twice.

use std::time::Duration;

use orderflow_tests::{Options, System};
use test_support::KafkaCluster;

#[tokio::test]
async fn the_leader_broker_killed_under_load_loses_nothing_and_comes_back_on_its_data() {
    let mut cluster = KafkaCluster::start(3).await;
    let system = System::start_with(Options {
        brokers: Some(cluster.bootstrap()),
        replication_factor: Some(3),
        ..Options::default()
    })
    .await;
    let (_, warm) = system.submit_checkout("customer-0", "tok_visa").await;
    let mut checkouts = vec![(0, warm)];
    system.assert_all_complete(&checkouts).await;

    let topic = system.kafka.topic_prefix.clone() + events::topics::ORDER;
    let leader = cluster.leader_of(&topic, 0).await;
    cluster.kill(leader);
    for i in 1..=10 {
        let (_, id) = system
            .submit_checkout(&format!("customer-{i}"), "tok_visa")
            .await;
        checkouts.push((i, id));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // Two of three replicas: every saga still completes.
    system.assert_all_complete(&checkouts).await;

    cluster.restart(leader).await;
    for i in 11..=15 {
        let (_, id) = system
            .submit_checkout(&format!("customer-{i}"), "tok_visa")
            .await;
        checkouts.push((i, id));
    }
    system.assert_all_complete(&checkouts).await;
    let orders: i64 = sqlx::query_scalar("SELECT count(*) FROM orders")
        .fetch_one(&system.order_db)
        .await
        .expect("count");
    assert_eq!(orders, 16, "one order per checkout");
    let payments: i64 = sqlx::query_scalar("SELECT count(*) FROM payments")
        .fetch_one(&system.checkout_db)
        .await
        .expect("count");
    assert_eq!(payments, 16, "one payment per order");
}
