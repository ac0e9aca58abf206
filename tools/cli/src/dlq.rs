//! `orderflowctl dlq`: the dead-letter tools from a terminal, straight on Kafka.

use anyhow::{Context, bail};
use messaging::{KafkaSettings, Topics, dlq};
use settings::Env;

pub fn kafka_settings() -> anyhow::Result<KafkaSettings> {
    let mut env = Env::from_process();
    let settings = KafkaSettings::read(&mut env);
    env.finish()?;
    settings.context("KAFKA_* settings")
}

fn dlq_topic(kafka: &KafkaSettings, logical: &str) -> anyhow::Result<String> {
    if !events::topics::ALL.contains(&logical) {
        bail!(
            "unknown topic {logical:?}: expected one of {:?}",
            events::topics::ALL
        );
    }
    Ok(Topics::new(&kafka.topic_prefix).dlq(logical))
}

fn position(args: &[String]) -> anyhow::Result<(String, i32, i64)> {
    match args {
        [topic, partition, offset] => Ok((
            topic.clone(),
            partition.parse().context("partition")?,
            offset.parse().context("offset")?,
        )),
        _ => bail!(crate::USAGE),
    }
}

pub async fn run(args: &[String]) -> anyhow::Result<()> {
    let kafka = kafka_settings()?;
    match args.first().map(String::as_str) {
        Some("list") => {
            let mut limit = 100;
            let mut topics = Vec::new();
            let mut rest = args[1..].iter();
            while let Some(arg) = rest.next() {
                match arg.as_str() {
                    "--limit" => {
                        limit = rest
                            .next()
                            .context(crate::USAGE)?
                            .parse()
                            .context("--limit")?
                    }
                    topic => topics.push(topic.to_owned()),
                }
            }
            if topics.is_empty() {
                topics = events::topics::ALL
                    .iter()
                    .map(|t| (*t).to_owned())
                    .collect();
            }
            for topic in topics {
                let letters = dlq::list(&kafka, &dlq_topic(&kafka, &topic)?, limit).await?;
                println!("{topic}: {} dead letter(s)", letters.len());
                for letter in letters {
                    let field = |k| letter.header(k).unwrap_or("-").to_owned();
                    println!(
                        "  {}/{}  {}  id={}  group={}  error={}",
                        letter.partition,
                        letter.offset,
                        field("ce_type"),
                        field("ce_id"),
                        field(dlq::CONSUMER_GROUP),
                        field(dlq::ERROR)
                    );
                }
            }
            Ok(())
        }
        Some("show") => {
            let (topic, partition, offset) = position(&args[1..])?;
            let letter = dlq::show(&kafka, &dlq_topic(&kafka, &topic)?, partition, offset)
                .await?
                .context("no such dead letter")?;
            println!("{}", serde_json::to_string_pretty(&letter)?);
            Ok(())
        }
        Some("replay") => {
            let (topic, partition, offset) = position(&args[1..])?;
            let letter = dlq::show(&kafka, &dlq_topic(&kafka, &topic)?, partition, offset)
                .await?
                .context("no such dead letter")?;
            let producer = messaging::producer::idempotent(&kafka)?;
            let to = dlq::replay(&producer, &letter).await?;
            println!("replayed {topic} {partition}/{offset} to {to}");
            Ok(())
        }
        _ => bail!(crate::USAGE),
    }
}
