use axum::extract::State;
use http_kit::extract::Json;
use http_kit::problem::ProblemDetails;
use serde::Serialize;
use utoipa::ToSchema;

use crate::catalog::store::{self as catalog, Product};
use crate::error::Result;
use crate::state::AppState;

/// The catalog.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductList {
    pub items: Vec<Product>,
}

/// Lists the catalog with prices in minor units.
#[utoipa::path(get, path = "/v1/products", operation_id = "list_products", tag = "catalog", responses(
    (status = 200, description = "The catalog", body = ProductList),
    (status = 503, description = "Database unavailable", body = ProblemDetails, content_type = "application/problem+json"),
))]
pub async fn list(State(state): State<AppState>) -> Result<Json<ProductList>> {
    Ok(Json(ProductList {
        items: catalog::all(&state.db).await?,
    }))
}
