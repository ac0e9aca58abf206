//! The OpenAPI 3.1 document, generated from the handlers' annotations and types.

use http_kit::extract::Json;
use http_kit::health::HealthReport;
use http_kit::openapi::BearerAuth;
use http_kit::problem::ProblemDetails;
use utoipa::OpenApi;

use crate::routes::{health, orders};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "orderflow order-service", description = "Orders and their status history."),
    paths(orders::get, orders::list, orders::cancel, health::live, health::ready),
    components(schemas(ProblemDetails, HealthReport)),
    modifiers(&BearerAuth),
)]
pub struct ApiDoc;

/// `GET /openapi.json`.
pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(http_kit::openapi::declare_limits(
        ApiDoc::openapi().merge_from(backbone::admin::AdminApi::openapi()),
    ))
}
