//! `make bench`: measures orderflow on this machine, each figure beside the limit it is
//! compared with, measured in the same run (docs/architecture.md, section 8). It owns what it
//! measures: fresh databases, its own topics and the service processes; the broker, Postgres
//! and Redis are the machine's (scripts/bench.sh starts what is down).

mod capacity;
mod config;
mod cpu;
mod histogram;
mod http;
mod pgbench;
mod procs;
mod relay;
mod report;
mod saga;
mod write_path;

use anyhow::Context;

use crate::config::Config;
use crate::procs::Service;
use crate::report::Report;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    std::fs::create_dir_all(config.out_dir.join("logs"))?;
    let mut report = Report::new(&config);

    config
        .prepare()
        .await
        .context("preparing databases and topics")?;

    let needs_order = config.runs("saga") || config.runs("capacity");
    if config.runs("write") || needs_order {
        let mut checkout =
            Service::start(&config, "checkout-service", config.checkout_env()).await?;
        report.started(&checkout);
        checkout.settle_idle().await;
        report.idle(&checkout);
        // The saga and its capacity first, on an idle system. The write path then runs with
        // the checkout service alone (its relay embedded): the saga's consumers would otherwise
        // share the two cores with the requests measured, and its backlog would delay a later
        // saga.
        if needs_order {
            let mut order = Service::start(&config, "order-service", config.order_env()).await?;
            report.started(&order);
            order.settle_idle().await;
            report.idle(&order);
            if config.runs("saga") {
                let saga = saga::run(&config, &checkout, &order).await?;
                report.saga(saga, &checkout, &order);
            }
            if config.runs("capacity") {
                let capacity = capacity::run(&config, &checkout, &order).await?;
                report.capacity(capacity, &checkout, &order);
            }
            order.stop().await;
        }
        if config.runs("write") {
            checkout.reset_peak();
            let write = write_path::run(&config, &checkout).await?;
            report.write_path(write, &checkout);
        }
        checkout.stop().await;
    }
    if config.runs("relay") {
        let relay = relay::run(&config).await?;
        report.relay(relay);
    }

    report.write(&config.out_dir)?;
    print!("{}", report.markdown());
    if config.strict && !report.all_met() {
        anyhow::bail!("a target was missed (BENCH_STRICT=1)");
    }
    Ok(())
}
