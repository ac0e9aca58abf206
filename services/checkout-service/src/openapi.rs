//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::openapi::BearerAuth;
use http_kit::problem::ProblemDetails;
use utoipa::OpenApi;

use crate::{cart, catalog, checkouts, payments, sessions};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow checkout-service", description = "Sessions, carts, catalog and checkouts."),
    paths(
        sessions::routes::create, catalog::routes::list, cart::routes::get,
        cart::routes::put_item, cart::routes::remove_item, cart::routes::clear,
        checkouts::routes::create, checkouts::routes::get, payments::routes::get,
    ),
    components(schemas(ProblemDetails)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;
