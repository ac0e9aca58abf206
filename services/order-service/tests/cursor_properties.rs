//! Hostile input against the pagination cursor: any string decodes or is refused without a
//! panic, and every cursor the service hands out decodes to the order it points at.

use order_service::domain::Cursor;
use proptest::prelude::*;
use uuid::Uuid;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_string_decodes_or_is_refused(raw in any::<String>()) {
        if let Some(cursor) = Cursor::decode(&raw) {
            // Only a URL-safe base64 of 16 bytes decodes, and it re-encodes to itself.
            prop_assert_eq!(cursor.encode(), raw);
        }
    }

    #[test]
    fn every_cursor_decodes_to_the_id_it_encoded(bytes in any::<[u8; 16]>()) {
        let cursor = Cursor(Uuid::from_bytes(bytes));
        prop_assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
    }
}
