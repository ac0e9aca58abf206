//! What each service process is: its binary, its subcommand and its database. Apart because
//! both the start-up and the run's lookups by role read it.

use super::DATABASES;

/// What a service process is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    CheckoutService,
    OrderService,
    CheckoutRelay,
    OrderRelay,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::CheckoutService,
        Role::OrderService,
        Role::CheckoutRelay,
        Role::OrderRelay,
    ];

    pub(super) fn binary(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::CheckoutRelay => "checkout-service",
            Role::OrderService | Role::OrderRelay => "order-service",
        }
    }

    pub(super) fn command(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::OrderService => "serve",
            Role::CheckoutRelay | Role::OrderRelay => "relay",
        }
    }

    pub(super) fn database(self) -> &'static str {
        match self {
            Role::CheckoutService | Role::CheckoutRelay => DATABASES[0],
            Role::OrderService | Role::OrderRelay => DATABASES[1],
        }
    }

    pub(super) fn name(self) -> String {
        match self.command() {
            "serve" => self.binary().to_owned(),
            _ => self.binary().replace("-service", "-relay"),
        }
    }
}
