//! OpenAPI pieces both services share.

use utoipa::Modify;

use crate::problem::ProblemDetails;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Declares the `bearer` (JWT) security scheme the handlers' `security(...)` refer to.
#[derive(Debug)]
pub struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// The problems any endpoint behind a bearer token may answer, for `responses(...)`.
#[derive(Debug, utoipa::IntoResponses)]
pub enum AuthProblems {
    /// No, bad or expired token
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(ProblemDetails),
    /// A dependency is unavailable; retry after `Retry-After`
    #[response(status = 503, content_type = "application/problem+json")]
    Unavailable(ProblemDetails),
}
