//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::openapi::BearerAuth;
use http_kit::problem::ProblemDetails;
use utoipa::OpenApi;

use crate::routes::orders;

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow order-service", description = "Orders and their status history."),
    paths(orders::get, orders::list, orders::cancel),
    components(schemas(ProblemDetails)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;
