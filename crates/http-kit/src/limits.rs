//! Size limits of a request, each answered with a problem+json.
//!
//! hyper parses the request head before any of this runs. Its own limits are the backstop:
//! a head over its read buffer (8 KiB + 100 × 4 KiB, about 400 KiB) or with more than 100
//! header fields is answered 431, and a request target over 65,534 bytes 414, both with an
//! empty body and the connection closed. [`check_head`] enforces the much smaller limits
//! below on what hyper let through, so a client learns which one it hit.

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::Problem;

/// Largest request body accepted (bigger is 413).
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// Largest sum of the header fields, counted as `name: value\r\n` (bigger is 431). Browsers
/// send a few KiB; a bearer token is under 1 KiB.
pub const HEADER_LIMIT_BYTES: usize = 16 * 1024;

/// Longest request target, path plus query (longer is 414).
pub const URI_LIMIT_BYTES: usize = 8 * 1024;

/// Middleware: 431 when the headers are over [`HEADER_LIMIT_BYTES`], 414 when the target is
/// over [`URI_LIMIT_BYTES`].
pub async fn check_head(request: Request, next: Next) -> Response {
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > HEADER_LIMIT_BYTES {
        return Problem::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            "headers_too_large",
            "Request header fields too large",
        )
        .detail(format!(
            "the request's header fields are over {HEADER_LIMIT_BYTES} bytes"
        ))
        .into_response();
    }
    let target_bytes = request
        .uri()
        .path_and_query()
        .map_or(0, |p| p.as_str().len());
    if target_bytes > URI_LIMIT_BYTES {
        return Problem::new(StatusCode::URI_TOO_LONG, "uri_too_long", "URI too long")
            .detail(format!(
                "the request target is over {URI_LIMIT_BYTES} bytes"
            ))
            .into_response();
    }
    next.run(request).await
}
