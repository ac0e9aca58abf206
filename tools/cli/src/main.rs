#![doc = include_str!("../README.md")]

use std::time::Duration;

use anyhow::{Context, bail};
use http_kit::auth::JwtKeys;
use secrecy::SecretString;

mod dlq;

const USAGE: &str = "usage:
  orderflowctl token --customer <id> [--admin] [--ttl <duration, e.g. 12h>]
  orderflowctl settings-table                          the README's configuration table
  orderflowctl asyncapi                                the AsyncAPI 3 document of every topic
  orderflowctl topics                                  create every topic (KAFKA_* settings)
  orderflowctl dlq list [<topic>] [--limit <n>]        dead letters (default: every topic)
  orderflowctl dlq show <topic> <partition> <offset>
  orderflowctl dlq replay <topic> <partition> <offset> back to the original topic";

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("token") => token(&args[1..]),
        Some("settings-table") => {
            print!("{}", settings::markdown_table());
            Ok(())
        }
        Some("asyncapi") => {
            println!(
                "{}",
                serde_json::to_string_pretty(&events::asyncapi::document())?
            );
            Ok(())
        }
        Some("topics") => {
            let kafka = dlq::kafka_settings()?;
            messaging::refused_for_good(&kafka, std::time::Duration::from_secs(10))
                .await
                .map_err(|(setting, why)| anyhow::anyhow!("{setting}: {why}"))?;
            messaging::topics::ensure(&kafka).await?;
            println!(
                "topics ready: {}",
                messaging::Topics::new(&kafka.topic_prefix).all().join(", ")
            );
            Ok(())
        }
        Some("dlq") => dlq::run(&args[1..]).await,
        _ => bail!(USAGE),
    }
}

fn token(args: &[String]) -> anyhow::Result<()> {
    let mut customer = None;
    let mut admin = false;
    let mut ttl = Duration::from_secs(12 * 3600);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--customer" => customer = args.next().cloned(),
            "--admin" => admin = true,
            "--ttl" => {
                let raw = args.next().context(USAGE)?;
                ttl = humantime::parse_duration(raw).with_context(|| format!("--ttl {raw}"))?;
            }
            other => bail!("unknown argument {other:?}\n{USAGE}"),
        }
    }
    let customer = customer.filter(|c| !c.is_empty()).context(USAGE)?;
    let secret = std::env::var("AUTH_JWT_SECRET").context("AUTH_JWT_SECRET must be set")?;
    if secret.len() < 32 {
        bail!("AUTH_JWT_SECRET must be at least 32 bytes long");
    }
    let keys = JwtKeys::hs256(&SecretString::from(secret));
    println!("{}", keys.issue(&customer, admin, ttl));
    Ok(())
}
