//! Hostile input against the CloudEvent decoder: whatever bytes and headers arrive, decoding
//! answers with an event or a `Poison` and never panics (a panic would stop a partition), and a
//! well-formed binary-mode record decodes to exactly what was sent.

use cloudevents::AttributesReader;
use messaging::envelope;
use proptest::prelude::*;
use rdkafka::Timestamp;
use rdkafka::message::{Header, OwnedHeaders, OwnedMessage};

type Headers = Vec<(String, Option<Vec<u8>>)>;

/// Header names a hostile producer would play with: the CloudEvents ones and anything else.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("ce_specversion".to_owned()),
        Just("ce_id".to_owned()),
        Just("ce_source".to_owned()),
        Just("ce_type".to_owned()),
        Just("ce_time".to_owned()),
        Just("ce_sequence".to_owned()),
        Just("content-type".to_owned()),
        any::<String>(),
    ]
}

fn headers() -> impl Strategy<Value = Headers> {
    let value = prop::option::of(prop::collection::vec(any::<u8>(), 0..40));
    prop::collection::vec((header_name(), value), 0..12)
}

fn message(payload: Option<Vec<u8>>, headers: &Headers) -> OwnedMessage {
    let mut owned = OwnedHeaders::new();
    for (key, value) in headers {
        owned = owned.insert(Header {
            key,
            value: value.as_deref(),
        });
    }
    OwnedMessage::new(
        payload,
        None,
        "topic".to_owned(),
        Timestamp::NotAvailable,
        0,
        0,
        Some(owned),
    )
}

/// A binary-mode CloudEvent record as the relay writes it.
fn well_formed(id: &str, ty: &str, data: &[u8]) -> OwnedMessage {
    let headers: Headers = [
        ("ce_specversion", "1.0"),
        ("ce_id", id),
        ("ce_source", "/checkout-service"),
        ("ce_type", ty),
        ("content-type", "application/json"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), Some(v.as_bytes().to_vec())))
    .collect();
    message(Some(data.to_vec()), &headers)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn arbitrary_records_decode_or_are_poison_without_panicking(
        payload in prop::option::of(prop::collection::vec(any::<u8>(), 0..200)),
        headers in headers(),
    ) {
        if let Ok(event) = envelope::decode(&message(payload, &headers)) {
            let _ = envelope::data_json(&event);
            let _ = envelope::split_type(event.ty());
        }
    }

    #[test]
    fn well_formed_attributes_with_arbitrary_data_never_panic(
        id in any::<String>(),
        ty in any::<String>(),
        data in prop::collection::vec(any::<u8>(), 0..200),
    ) {
        if let Ok(event) = envelope::decode(&well_formed(&id, &ty, &data)) {
            let _ = envelope::data_json(&event);
        }
    }

    #[test]
    fn a_well_formed_record_decodes_to_what_was_sent(
        id in "[a-zA-Z0-9-]{1,40}",
        name in "[a-z]{1,12}(\\.[a-z]{1,12}){0,3}",
        major in 1u32..1000,
        value in any::<i64>(),
        text in any::<String>(),
    ) {
        let ty = format!("{name}.v{major}");
        let data = serde_json::json!({ "value": value, "text": text });
        let record = well_formed(&id, &ty, data.to_string().as_bytes());
        let event = envelope::decode(&record).expect("well-formed");
        prop_assert_eq!(event.id(), id.as_str());
        prop_assert_eq!(event.ty(), ty.as_str());
        prop_assert_eq!(envelope::split_type(event.ty()), Some((name.as_str(), major)));
        prop_assert_eq!(envelope::data_json(&event).expect("JSON data"), data);
    }

    #[test]
    fn a_type_splits_only_into_a_name_and_canonical_version(
        raw in prop_oneof![any::<String>(), "[a-z.]{0,8}\\.v[0-9+ -]{0,4}"],
    ) {
        if let Some((name, major)) = envelope::split_type(&raw) {
            prop_assert_eq!(format!("{name}.v{major}"), raw);
        }
    }
}
