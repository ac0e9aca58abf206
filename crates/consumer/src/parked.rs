//! Parked dead letters: the ones the broker would not take, kept in the service's own database
//! (`parked_dead_letters`) so that their partition goes on without them.

use chrono::{DateTime, Utc};
use rdkafka::message::{Headers, Message, OwnedHeaders, OwnedMessage};
use serde::Serialize;
use sqlx::PgPool;

/// A dead letter the broker would not take, and why.
pub(crate) struct Parking<'a> {
    pub group: &'a str,
    /// The message as consumed.
    pub original: &'a OwnedMessage,
    pub dead_letter_topic: &'a str,
    /// The dead letter's headers: the original ones and the `dlq-*` ones.
    pub headers: &'a OwnedHeaders,
    /// Why the handler gave the message up.
    pub error: &'a str,
    pub attempts: u32,
    /// What the producer or the broker answered last.
    pub refusal: String,
    /// The broker refuses it for good, rather than errors that pass outlasting the bound.
    pub refused_for_good: bool,
}

/// Keeps `letter`, key, payload and headers as their exact bytes; returns its id.
pub(crate) async fn park(db: &PgPool, letter: &Parking<'_>) -> Result<i64, sqlx::Error> {
    let (keys, values): (Vec<String>, Vec<Option<Vec<u8>>>) = letter
        .headers
        .iter()
        .map(|h| (h.key.to_owned(), h.value.map(<[u8]>::to_vec)))
        .unzip();
    let original = letter.original;
    sqlx::query_scalar!(
        "INSERT INTO parked_dead_letters (consumer_group, original_topic, original_partition,
             original_offset, dead_letter_topic, message_key, payload, header_keys,
             header_values, error, attempts, refusal, refused_for_good)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING id",
        letter.group,
        original.topic(),
        original.partition(),
        original.offset(),
        letter.dead_letter_topic,
        original.key(),
        original.payload(),
        &keys,
        // A header may have no value: the elements are optional, which the macro cannot see.
        &values as _,
        letter.error,
        i32::try_from(letter.attempts).unwrap_or(i32::MAX),
        &letter.refusal,
        letter.refused_for_good,
    )
    .fetch_one(db)
    .await
}

/// One parked dead letter as the operator tools show it.
#[derive(Debug, Clone, Serialize)]
pub struct ParkedDeadLetter {
    pub id: i64,
    pub consumer_group: String,
    /// Where the message was consumed from.
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    /// Where it was to go.
    pub dead_letter_topic: String,
    pub key: Option<String>,
    /// Every header of the dead letter, values as text.
    pub headers: Vec<(String, String)>,
    /// The payload as text (CloudEvent data is JSON; other bytes are shown lossily).
    pub payload: Option<String>,
    pub error: String,
    pub attempts: i32,
    /// What the producer or the broker answered.
    pub refusal: String,
    /// `false`: errors that pass went on longer than the consumer waits.
    pub refused_for_good: bool,
    pub parked_at: DateTime<Utc>,
}

impl ParkedDeadLetter {
    /// The value of header `key`.
    pub fn header(&self, key: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The oldest `limit` parked dead letters, and how many there are.
pub async fn list(db: &PgPool, limit: i64) -> Result<(Vec<ParkedDeadLetter>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id, consumer_group, original_topic, original_partition, original_offset,
                  dead_letter_topic, message_key, payload, header_keys,
                  header_values AS "header_values: Vec<Option<Vec<u8>>>", error, attempts,
                  refusal, refused_for_good, parked_at
           FROM parked_dead_letters ORDER BY id LIMIT $1"#,
        limit,
    )
    .fetch_all(db)
    .await?;
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM parked_dead_letters"#)
        .fetch_one(db)
        .await?;
    let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
    let letters = rows
        .into_iter()
        .map(|row| ParkedDeadLetter {
            id: row.id,
            consumer_group: row.consumer_group,
            topic: row.original_topic,
            partition: row.original_partition,
            offset: row.original_offset,
            dead_letter_topic: row.dead_letter_topic,
            key: row.message_key.as_deref().map(text),
            headers: row
                .header_keys
                .into_iter()
                .zip(row.header_values)
                .map(|(k, v)| (k, v.as_deref().map(text).unwrap_or_default()))
                .collect(),
            payload: row.payload.as_deref().map(text),
            error: row.error,
            attempts: row.attempts,
            refusal: row.refusal,
            refused_for_good: row.refused_for_good,
            parked_at: row.parked_at,
        })
        .collect();
    Ok((letters, total))
}
