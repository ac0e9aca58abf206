//! `drop-test-topics`: deletes the test topics (`t<uuidv7>.…`) over an hour old on the test
//! broker (`TEST_KAFKA_BROKERS`). `make test` runs it first.

use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let brokers = test_support::kafka_brokers();
    match test_support::topics::drop_old(&brokers, Duration::from_secs(3600)).await {
        Ok(0) => {}
        Ok(dropped) => println!("dropped {dropped} test topics over an hour old on {brokers}"),
        Err(e) => {
            eprintln!("drop-test-topics: {brokers}: {e}");
            std::process::exit(1);
        }
    }
}
