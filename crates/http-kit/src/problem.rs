//! RFC 9457 problem details: the one error shape every endpoint answers with.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Media type of every error response.
pub const CONTENT_TYPE: &str = "application/problem+json";

/// An RFC 9457 problem. `code` is stable and meant for programs; `detail` is for people.
#[derive(Debug, Clone)]
pub struct Problem {
    pub code: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: Option<String>,
    pub field: Option<String>,
    retry_after_secs: Option<u32>,
    www_authenticate: bool,
}

/// The body of every error response (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Problem)]
pub struct ProblemDetails {
    /// A URI reference naming the kind of problem: `/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// Short summary of the kind of problem.
    pub title: &'static str,
    /// The HTTP status code.
    pub status: u16,
    /// Stable, machine-readable problem code.
    pub code: &'static str,
    /// What went wrong with this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request field (body path, header, path or query parameter) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &'static str, title: &'static str) -> Self {
        Self {
            title,
            status: status.as_u16(),
            code,
            detail: None,
            field: None,
            retry_after_secs: None,
            www_authenticate: false,
        }
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// 400: the request is malformed (syntax, header, path or query).
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, "Bad request").detail(detail)
    }

    /// 422: well-formed, but a value is not acceptable.
    pub fn unprocessable(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            code,
            "Unprocessable content",
        )
        .detail(detail)
    }

    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, "Not found").detail(detail)
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, "Conflict").detail(detail)
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, "Forbidden").detail(detail)
    }

    /// 401 with `WWW-Authenticate: Bearer`.
    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        let mut problem = Self::new(StatusCode::UNAUTHORIZED, code, "Unauthorized").detail(detail);
        problem.www_authenticate = true;
        problem
    }

    /// 503 with `Retry-After`: a dependency is down; the client should try again.
    pub fn unavailable(dependency: &str) -> Self {
        let mut problem = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "dependency_unavailable",
            "Service unavailable",
        )
        .detail(format!("{dependency} is unavailable; retry later"));
        problem.retry_after_secs = Some(2);
        problem
    }

    /// 429 with `Retry-After`: this client sent too many writes; it may try again after
    /// `retry_after_secs`.
    pub fn too_many_requests(retry_after_secs: u32) -> Self {
        let mut problem = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Too many requests",
        )
        .detail(format!(
            "too many writes from this client; retry after {retry_after_secs} s"
        ));
        problem.retry_after_secs = Some(retry_after_secs);
        problem
    }

    /// 500 with no internal detail: the cause is logged, never sent.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "Internal server error",
        )
    }
}

impl Problem {
    /// The wire form of this problem.
    pub fn details(self) -> ProblemDetails {
        ProblemDetails {
            type_uri: format!("/problems/{}", self.code),
            title: self.title,
            status: self.status,
            code: self.code,
            detail: self.detail,
            field: self.field,
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let retry_after = self.retry_after_secs;
        let www_authenticate = self.www_authenticate;
        let mut response = (status, axum::Json(self.details())).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
        if let Some(secs) = retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if www_authenticate {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// Fallback for unmatched routes.
pub async fn route_not_found() -> Problem {
    Problem::not_found("route_not_found", "no such route")
}

/// Fallback for a known route called with the wrong method.
pub async fn method_not_allowed() -> Problem {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "Method not allowed",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_problem_tells_the_client_when_to_retry() {
        let response = Problem::unavailable("postgres").into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
    }

    #[test]
    fn too_many_requests_problem_tells_the_client_when_to_retry() {
        let response = Problem::too_many_requests(7).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
        assert_eq!(response.headers()[header::CONTENT_TYPE], CONTENT_TYPE);
    }

    #[test]
    fn unauthorized_problem_asks_for_a_bearer_token() {
        let response = Problem::unauthorized("missing_token", "no token").into_response();
        assert_eq!(response.headers()[header::WWW_AUTHENTICATE], "Bearer");
    }

    #[test]
    fn problem_type_is_derived_from_its_code() {
        let problem = Problem::conflict("order_not_cancellable", "already cancelled");
        assert_eq!(problem.status(), StatusCode::CONFLICT);
        assert_eq!(
            problem.details().type_uri,
            "/problems/order_not_cancellable"
        );
    }
}
