use axum::extract::{FromRequestParts, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use http_kit::Problem;
use http_kit::auth::Caller;
use http_kit::openapi::AuthProblems;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::Result;
use crate::state::AppState;

/// Header that carries the session id (the cookie is the alternative for browsers).
pub const SESSION_HEADER: HeaderName = HeaderName::from_static("x-session-id");
/// Name of the HttpOnly session cookie.
pub const SESSION_COOKIE: &str = "session_id";

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    pub session_id: Uuid,
    /// Idle seconds before the session and its cart expire (each use extends it).
    pub expires_in_seconds: u64,
}

/// Creates a session for a cart, bound at once to the caller if a token is sent.
#[utoipa::path(post, path = "/v1/sessions", operation_id = "create_session", tag = "sessions", security((), ("bearer" = [])), responses(
    (status = 201, description = "Created; the id is also set as an HttpOnly cookie", body = SessionCreated),
    AuthProblems,
))]
pub async fn create(State(state): State<AppState>, caller: Option<Caller>) -> Result<Response> {
    let id = state.sessions.create(caller.as_ref()).await?;
    let ttl = state.sessions.ttl().as_secs();
    let secure = if state.cookie_secure { "; Secure" } else { "" };
    let cookie =
        format!("{SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={ttl}{secure}");
    let mut response = (
        StatusCode::CREATED,
        axum::Json(SessionCreated {
            session_id: id,
            expires_in_seconds: ttl,
        }),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}

/// The session a request names, from `X-Session-Id` or the `session_id` cookie.
#[derive(Debug, Clone, Copy)]
pub struct SessionRef(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for SessionRef {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = match parts.headers.get(SESSION_HEADER) {
            Some(value) => Some(value.to_str().unwrap_or_default().trim().to_owned()),
            None => session_cookie(parts),
        };
        let raw = raw.ok_or_else(|| {
            Problem::bad_request(
                "session_required",
                "send the session id as `X-Session-Id` or the `session_id` cookie (POST /v1/sessions creates one)",
            )
            .field(SESSION_HEADER.as_str())
        })?;
        Uuid::parse_str(&raw).map(SessionRef).map_err(|_| {
            Problem::bad_request("invalid_session_id", "the session id is not a UUID")
                .field(SESSION_HEADER.as_str())
        })
    }
}

fn session_cookie(parts: &Parts) -> Option<String> {
    parts
        .headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == SESSION_COOKIE).then(|| value.to_owned())
        })
}
