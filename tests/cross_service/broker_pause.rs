//! The broker frozen (SIGSTOP) for 10 s under load, then resumed: writes keep succeeding (the
//! outbox holds the events), the backlog drains, every saga ends, nothing is lost.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use orderflow_tests::{Options, System};

/// A tansu of this test's own, so freezing it disturbs no other test.
struct PrivateBroker {
    child: Child,
    address: String,
}

impl PrivateBroker {
    async fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .expect("spare port")
            .local_addr()
            .expect("address")
            .port();
        let address = format!("127.0.0.1:{port}");
        let url = format!("tcp://{address}");
        let child = Command::new("tansu")
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("tansu is installed (scripts/install-tansu.sh)");
        let broker = Self { child, address };
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(&broker.address)
                .await
                .is_ok()
            {
                return broker;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the private broker did not start");
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for PrivateBroker {
    fn drop(&mut self) {
        self.signal("-CONT");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_broker_paused_for_ten_seconds_under_load_loses_nothing() {
    let broker = PrivateBroker::start().await;
    let system = System::start_with(Options {
        brokers: Some(broker.address.clone()),
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

    broker.signal("-STOP");
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
    broker.signal("-CONT");

    for (i, checkout_id) in &checkouts {
        let view = system
            .wait_final(
                &format!("customer-{i}"),
                checkout_id,
                Duration::from_secs(60),
            )
            .await;
        if view["status"] != "COMPLETED" {
            let checkout = system
                .admin_json(&system.checkout("/v1/admin/outbox"))
                .await;
            let order = system.admin_json(&system.order("/v1/admin/outbox")).await;
            panic!(
                "checkout {i} did not complete: {view}\ncheckout-service: {checkout}\norder-service: {order}"
            );
        }
    }
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
