//! Hostile input against the domain parsers: arbitrary strings and numbers never panic, and
//! what is accepted is exactly what each type documents.

use checkout_service::domain::{CardToken, IdempotencyKey, Quantity, Sku};
use proptest::prelude::*;

fn is_sku(raw: &str) -> bool {
    (1..=32).contains(&raw.len())
        && !raw.starts_with('-')
        && raw
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

fn is_idempotency_key(raw: &str) -> bool {
    (1..=128).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
}

fn is_card_token(raw: &str) -> bool {
    raw.len() <= 64
        && raw.strip_prefix("tok_").is_some_and(|body| {
            !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    #[test]
    fn any_string_is_a_sku_exactly_when_it_fits_the_grammar(raw in any::<String>()) {
        prop_assert_eq!(Sku::parse(&raw).is_ok(), is_sku(&raw));
    }

    #[test]
    fn sku_shaped_strings_are_accepted_and_kept_as_given(raw in "[A-Z0-9][A-Z0-9-]{0,31}") {
        let sku = Sku::parse(&raw).expect("valid");
        prop_assert_eq!(sku.as_str(), raw.as_str());
    }

    #[test]
    fn any_string_is_an_idempotency_key_exactly_when_it_fits(raw in any::<String>()) {
        prop_assert_eq!(IdempotencyKey::parse(&raw).is_ok(), is_idempotency_key(&raw));
    }

    #[test]
    fn key_shaped_strings_are_accepted(raw in "[A-Za-z0-9._:-]{1,128}") {
        let key = IdempotencyKey::parse(&raw).expect("valid");
        prop_assert_eq!(key.as_str(), raw.as_str());
    }

    #[test]
    fn any_string_is_a_card_token_exactly_when_it_fits(raw in any::<String>()) {
        prop_assert_eq!(CardToken::parse(&raw).is_ok(), is_card_token(&raw));
    }

    #[test]
    fn token_shaped_strings_are_accepted(raw in "tok_[A-Za-z0-9_]{1,60}") {
        prop_assert!(CardToken::parse(&raw).is_ok());
    }

    #[test]
    fn a_card_token_never_shows_whole_in_debug_output(body in "[A-Za-z0-9_]{8,60}") {
        let token = CardToken::parse(&format!("tok_{body}")).expect("valid");
        let shown = format!("{token:?}");
        prop_assert!(!shown.contains(&body), "{} shows {}", shown, body);
    }

    #[test]
    fn any_number_is_a_quantity_exactly_between_1_and_max(raw in any::<i64>()) {
        let parsed = Quantity::parse(raw);
        prop_assert_eq!(parsed.is_ok(), (1..=Quantity::MAX).contains(&raw));
        if let Ok(quantity) = parsed {
            prop_assert_eq!(i64::from(quantity.get()), raw);
        }
    }
}
