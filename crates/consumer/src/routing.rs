//! Which events a consumer handles, skips, or refuses as poison.

use messaging::envelope::{Poison, split_type};

/// What to do with an event type.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Route {
    Handle,
    Skip,
    Poison(Poison),
}

/// Handled type: handle. Another major version of a handled type: skipped when the event is a
/// twin (published in several versions side by side, one of which this consumer handles),
/// poison otherwise. Anything else: skip.
pub(crate) fn route(handled: &[&str], event_type: &str, twinned: bool) -> Route {
    if handled.contains(&event_type) {
        return Route::Handle;
    }
    let name = split_type(event_type).map_or(event_type, |(name, _)| name);
    if handled
        .iter()
        .any(|t| split_type(t).is_some_and(|(known, _)| known == name))
    {
        if twinned {
            Route::Skip
        } else {
            Route::Poison(Poison::UnknownVersion(event_type.to_owned()))
        }
    } else {
        Route::Skip
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANDLED: &[&str] = &["dev.orderflow.order.placed.v1"];

    #[test]
    fn a_handled_type_is_handled() {
        assert_eq!(
            route(HANDLED, "dev.orderflow.order.placed.v1", false),
            Route::Handle
        );
    }

    #[test]
    fn another_major_version_of_a_handled_type_is_poison() {
        assert!(matches!(
            route(HANDLED, "dev.orderflow.order.placed.v2", false),
            Route::Poison(Poison::UnknownVersion(_))
        ));
    }

    #[test]
    fn another_major_version_of_a_twin_is_skipped() {
        assert_eq!(
            route(HANDLED, "dev.orderflow.order.placed.v2", true),
            Route::Skip
        );
        assert_eq!(
            route(HANDLED, "dev.orderflow.order.placed.v1", true),
            Route::Handle
        );
    }

    #[test]
    fn any_other_type_is_skipped() {
        assert_eq!(
            route(HANDLED, "dev.orderflow.order.shipped.v1", false),
            Route::Skip
        );
        assert_eq!(route(HANDLED, "not-even-versioned", false), Route::Skip);
    }
}
