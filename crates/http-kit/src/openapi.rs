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

/// Declares on every operation of `openapi` the answers the shared middleware and extractors
/// may give before a handler runs (`layers::apply`, `extract::Json`): 414 and 431 on any
/// request, 413 and 429 (with `Retry-After`) on writes, 415 where a JSON body is expected.
/// Applied to the whole document, the admin paths merged in too.
pub fn declare_limits(mut openapi: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            (&mut item.get, false),
            (&mut item.put, true),
            (&mut item.post, true),
            (&mut item.delete, true),
            (&mut item.patch, true),
        ];
        for (operation, write) in operations {
            let Some(operation) = operation.as_mut() else {
                continue;
            };
            let takes_json = operation.request_body.is_some();
            let responses = &mut operation.responses.responses;
            add_problem(responses, 414, "The path and query are too long", false);
            add_problem(responses, 431, "The request headers are too large", false);
            if write {
                add_problem(responses, 413, "The request body is too large", false);
                if takes_json {
                    add_problem(responses, 415, "Body is not JSON", false);
                }
                add_problem(
                    responses,
                    429,
                    "Too many writes from this client; retry after `Retry-After` seconds",
                    true,
                );
            }
        }
    }
    openapi
}

fn add_problem(
    responses: &mut std::collections::BTreeMap<
        String,
        utoipa::openapi::RefOr<utoipa::openapi::Response>,
    >,
    status: u16,
    description: &str,
    retry_after: bool,
) {
    use utoipa::ToSchema;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder, header::HeaderBuilder};

    responses.entry(status.to_string()).or_insert_with(|| {
        let mut response = ResponseBuilder::new().description(description).content(
            "application/problem+json",
            Content::new(Some(Ref::from_schema_name(ProblemDetails::name()))),
        );
        if retry_after {
            let seconds = ObjectBuilder::new().schema_type(Type::Integer).build();
            response = response.header(
                "Retry-After",
                HeaderBuilder::new()
                    .schema(seconds)
                    .description(Some("Seconds to wait before trying again"))
                    .build(),
            );
        }
        RefOr::T(response.build())
    });
}
