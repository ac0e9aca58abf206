//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::openapi::BearerAuth;
use http_kit::problem::ProblemDetails;
use utoipa::OpenApi;

use crate::routes::{cart, checkouts, payments, products, sessions};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow checkout-service", description = "Sessions, carts, catalog and checkouts."),
    paths(
        sessions::create, products::list, cart::get, cart::put_item, cart::remove_item, cart::clear,
        checkouts::create, checkouts::get, payments::get,
    ),
    components(schemas(ProblemDetails)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;
