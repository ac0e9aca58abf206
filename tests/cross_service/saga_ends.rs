//! Every saga ends in a consistent state, whichever of its events was dead-lettered: each test
//! makes one step's handler fail until its event is dead-lettered, then removes the cause and
//! lets the sweepers end the saga (no one replays anything by hand).

use std::time::Duration;

use orderflow_tests::{Options, System};
use sqlx::PgPool;

/// Sweepers look every fifth of this.
const SAGA_TIMEOUT: &str = "2s";
const WITHIN: Duration = Duration::from_secs(60);

/// Where a step fails.
#[derive(Debug, Clone, Copy)]
enum Service {
    Order,
    Checkout,
}

/// A trigger that refuses a write until it is dropped: the handler of one saga step fails
/// every time and its event is dead-lettered.
#[derive(Debug, Clone, Copy)]
struct Refusal {
    service: Service,
    /// e.g. `INSERT ON orders` or `UPDATE ON checkouts`.
    on: &'static str,
    /// A `WHEN` clause, or empty.
    when: &'static str,
    /// Dead letters it makes: `order.placed` comes in two versions while version 2 is rolled
    /// out (ADR 0008), and either one would carry the saga on once the refusal is gone.
    letters: u64,
}

impl Refusal {
    fn db(self, system: &System) -> &PgPool {
        match self.service {
            Service::Order => &system.order_db,
            Service::Checkout => &system.checkout_db,
        }
    }

    async fn install(self, system: &System, name: &str) {
        let sql = format!(
            "CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
             CREATE TRIGGER {name} BEFORE {on} FOR EACH ROW {when} EXECUTE FUNCTION {name}();",
            on = self.on,
            when = self.when,
        );
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(self.db(system))
            .await
            .expect("install the refusing trigger");
    }

    async fn remove(self, system: &System, name: &str) {
        let table = self.on.rsplit(' ').next().expect("a table");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "DROP TRIGGER {name} ON {table}"
        )))
        .execute(self.db(system))
        .await
        .expect("drop the refusing trigger");
    }
}

/// Where the saga ended: checkout status and reason, order status, payment status (or
/// `VOIDED` when the provider authorized and refunded with no payment recorded, `NONE`).
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    checkout: String,
    order: Option<String>,
    payment: String,
}

/// Submits a checkout paid with `card` while `refusals` stand, waits until each has
/// dead-lettered an event, removes them, and returns where the saga ends.
async fn dead_letter_then_end(card: &str, refusals: &[Refusal]) -> Outcome {
    let timeout = [("SAGA_TIMEOUT", SAGA_TIMEOUT)];
    let system = System::start_with(Options {
        checkout_extra: &timeout,
        order_extra: &timeout,
        ..Options::default()
    })
    .await;
    for (i, refusal) in refusals.iter().enumerate() {
        refusal.install(&system, &format!("refuse_{i}")).await;
    }
    let (_, checkout_id) = system.submit_checkout("alice", card).await;

    for refusal in refusals {
        let url = match refusal.service {
            Service::Order => system.order("/v1/admin/outbox"),
            Service::Checkout => system.checkout("/v1/admin/outbox"),
        };
        system
            .eventually(WITHIN, || async {
                let status = system.admin_json(&url).await;
                (status["consumer_dead_lettered_total"].as_u64() >= Some(refusal.letters))
                    .then_some(())
            })
            .await
            .unwrap_or_else(|| panic!("{refusal:?} dead-letters its events"));
    }
    for (i, refusal) in refusals.iter().enumerate() {
        refusal.remove(&system, &format!("refuse_{i}")).await;
    }

    let view = system.wait_final("alice", &checkout_id, WITHIN).await;
    let checkout = match view["failure_reason"].as_str() {
        Some(reason) => format!("{} {reason}", view["status"].as_str().unwrap_or_default()),
        None => view["status"].as_str().unwrap_or_default().to_owned(),
    };
    let checkout_id: uuid::Uuid = checkout_id.parse().expect("a checkout id");
    let order = sqlx::query_scalar("SELECT status FROM orders WHERE checkout_id = $1")
        .bind(checkout_id)
        .fetch_optional(&system.order_db)
        .await
        .expect("read the order");
    let payment: Option<String> =
        sqlx::query_scalar("SELECT status FROM payments WHERE checkout_id = $1")
            .bind(checkout_id)
            .fetch_optional(&system.checkout_db)
            .await
            .expect("read the payment");
    let operations: Vec<String> =
        sqlx::query_scalar("SELECT kind || ' ' || outcome FROM provider_operations ORDER BY kind")
            .fetch_all(&system.checkout_db)
            .await
            .expect("read the provider's ledger");
    let payment = match payment {
        Some(status) => status,
        None if operations == ["authorization approved", "refund refunded"] => "VOIDED".to_owned(),
        None if operations.is_empty() => "NONE".to_owned(),
        None => panic!("no payment recorded, yet the provider holds {operations:?}"),
    };
    Outcome {
        checkout,
        order,
        payment,
    }
}

fn outcome(checkout: &str, order: Option<&str>, payment: &str) -> Outcome {
    Outcome {
        checkout: checkout.to_owned(),
        order: order.map(str::to_owned),
        payment: payment.to_owned(),
    }
}

const ORDERS_REFUSED: Refusal = Refusal {
    service: Service::Order,
    on: "INSERT ON orders",
    when: "",
    letters: 1,
};
const PAYMENTS_REFUSED: Refusal = Refusal {
    service: Service::Checkout,
    on: "INSERT ON payments",
    when: "",
    letters: 2,
};
const CONFIRMATION_REFUSED: Refusal = Refusal {
    service: Service::Order,
    on: "UPDATE ON orders",
    when: "WHEN (NEW.status = 'CONFIRMED')",
    letters: 1,
};
const DECLINE_REFUSED: Refusal = Refusal {
    service: Service::Order,
    on: "UPDATE ON orders",
    when: "WHEN (NEW.cancel_reason = 'payment_declined')",
    letters: 1,
};
const COMPLETION_REFUSED: Refusal = Refusal {
    service: Service::Checkout,
    on: "UPDATE ON checkouts",
    when: "WHEN (NEW.status = 'COMPLETED')",
    letters: 1,
};
const FAILURE_REFUSED: Refusal = Refusal {
    service: Service::Checkout,
    on: "UPDATE ON checkouts",
    when: "WHEN (NEW.status = 'FAILED')",
    letters: 1,
};

#[tokio::test]
async fn a_dead_lettered_checkout_submitted_fails_the_checkout_with_no_order() {
    let ended = dead_letter_then_end("tok_visa", &[ORDERS_REFUSED]).await;

    assert_eq!(ended, outcome("FAILED timeout", None, "NONE"));
}

#[tokio::test]
async fn a_dead_lettered_order_placed_cancels_the_order_and_voids_the_authorization() {
    let ended = dead_letter_then_end("tok_visa", &[PAYMENTS_REFUSED]).await;

    assert_eq!(
        ended,
        outcome("FAILED timeout", Some("CANCELLED"), "VOIDED")
    );
}

#[tokio::test]
async fn a_dead_lettered_payment_authorized_cancels_the_order_and_refunds_the_payment() {
    let ended = dead_letter_then_end("tok_visa", &[CONFIRMATION_REFUSED]).await;

    assert_eq!(
        ended,
        outcome("FAILED timeout", Some("CANCELLED"), "REFUNDED")
    );
}

#[tokio::test]
async fn a_dead_lettered_payment_declined_cancels_the_order() {
    let ended = dead_letter_then_end("tok_chargeDeclined", &[DECLINE_REFUSED]).await;

    assert_eq!(
        ended,
        outcome("FAILED timeout", Some("CANCELLED"), "DECLINED")
    );
}

#[tokio::test]
async fn a_dead_lettered_order_confirmed_still_completes_the_checkout() {
    let ended = dead_letter_then_end("tok_visa", &[COMPLETION_REFUSED]).await;

    assert_eq!(ended, outcome("COMPLETED", Some("CONFIRMED"), "AUTHORIZED"));
}

#[tokio::test]
async fn a_dead_lettered_order_cancelled_still_fails_the_checkout() {
    let ended = dead_letter_then_end("tok_chargeDeclined", &[FAILURE_REFUSED]).await;

    assert_eq!(
        ended,
        outcome("FAILED declined", Some("CANCELLED"), "DECLINED")
    );
}

#[tokio::test]
async fn a_dead_lettered_order_cancelled_after_an_authorization_still_refunds_it() {
    // The order is cancelled by its sweeper (payment.authorized dead-lettered), then
    // order.cancelled is dead-lettered too: the payment stays authorized until the checkout's
    // sweeper asks again.
    let ended = dead_letter_then_end("tok_visa", &[CONFIRMATION_REFUSED, FAILURE_REFUSED]).await;

    assert_eq!(
        ended,
        outcome("FAILED timeout", Some("CANCELLED"), "REFUNDED")
    );
}

#[tokio::test]
async fn a_saga_that_cannot_end_is_counted_as_overdue() {
    let timeout = [("SAGA_TIMEOUT", "1s")];
    let system = System::start_with(Options {
        checkout_extra: &timeout,
        order_extra: &timeout,
        ..Options::default()
    })
    .await;
    COMPLETION_REFUSED.install(&system, "refuse_forever").await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;

    let overdue = system
        .eventually(WITHIN, || async {
            let metrics = system
                .client
                .get(system.checkout("/metrics"))
                .send()
                .await
                .ok()?
                .text()
                .await
                .ok()?;
            metrics
                .lines()
                .any(|line| line == "sagas_overdue 1")
                .then_some(())
        })
        .await;

    assert!(overdue.is_some(), "sagas_overdue reaches 1");
    let (_, view) = system
        .get_json(
            &system.checkout(&format!("/v1/checkouts/{checkout_id}")),
            "alice",
        )
        .await;
    assert_eq!(view["status"], "PENDING", "{view}");
}

#[tokio::test]
async fn a_dead_lettered_order_cancelled_of_a_confirmed_order_still_refunds_the_payment() {
    let timeout = [("SAGA_TIMEOUT", SAGA_TIMEOUT)];
    let system = System::start_with(Options {
        checkout_extra: &timeout,
        order_extra: &timeout,
        ..Options::default()
    })
    .await;
    let (_, checkout_id) = system.submit_checkout("alice", "tok_visa").await;
    let view = system.wait_final("alice", &checkout_id, WITHIN).await;
    let order_id = view["order_id"].as_str().expect("order id").to_owned();
    let refunds_refused = Refusal {
        service: Service::Checkout,
        on: "UPDATE ON payments",
        when: "WHEN (NEW.status = 'REFUNDED')",
        letters: 1,
    };
    refunds_refused.install(&system, "refuse_refunds").await;

    assert_eq!(system.cancel_order("alice", &order_id).await, 200);
    let url = system.checkout("/v1/admin/outbox");
    system
        .eventually(WITHIN, || async {
            let status = system.admin_json(&url).await;
            (status["consumer_dead_lettered_total"].as_u64() > Some(0)).then_some(())
        })
        .await
        .expect("order.cancelled is dead-lettered");
    refunds_refused.remove(&system, "refuse_refunds").await;

    let refunded = system
        .wait_payment("alice", &order_id, &["REFUNDED"], WITHIN)
        .await;
    assert!(refunded.is_some(), "the payment is refunded");
    let refunds: i64 =
        sqlx::query_scalar("SELECT count(*) FROM provider_operations WHERE kind = 'refund'")
            .fetch_one(&system.checkout_db)
            .await
            .expect("count");
    assert_eq!(refunds, 1, "one refund at the provider");
    let heard: bool = system
        .eventually(WITHIN, || async {
            sqlx::query_scalar::<_, bool>(
                "SELECT refunded_at IS NOT NULL FROM orders WHERE id = $1::uuid",
            )
            .bind(&order_id)
            .fetch_one(&system.order_db)
            .await
            .ok()
            .filter(|&heard| heard)
        })
        .await
        .unwrap_or(false);
    assert!(heard, "order-service hears of the refund and stops asking");
}
