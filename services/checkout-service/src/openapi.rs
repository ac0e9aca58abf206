//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::Problem;
use http_kit::extract::Json;
use http_kit::health::HealthReport;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::routes::{cart, checkouts, health, products, sessions};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow checkout-service", description = "Sessions, carts, catalog and checkouts."),
    paths(
        sessions::create, products::list, cart::get, cart::put_item, cart::remove_item, cart::clear,
        checkouts::create, checkouts::get, health::live, health::ready,
    ),
    components(schemas(Problem, HealthReport)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build()),
        );
    }
}

/// `GET /openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
