//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::openapi::BearerAuth;
use http_kit::problem::ProblemDetails;
use utoipa::OpenApi;

use crate::orders;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow order-service", description = "Orders and their status history."),
    paths(orders::routes::get, orders::routes::list, orders::routes::cancel),
    components(schemas(ProblemDetails)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;
