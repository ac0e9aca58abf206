//! Authorization matrices: the kinds of caller every endpoint is tried with, and the checks
//! that a matrix has a row for every operation a service serves.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_kit::auth::{Claims, JwtKeys};
use secrecy::SecretString;
use serde_json::Value;

/// Who sends a request. The owner owns the resources the request names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No `Authorization` header.
    Anonymous,
    /// `Authorization: Bearer` with something that is not a JWT.
    Malformed,
    /// A well-formed token for the owner, signed with another secret.
    ForeignSecret,
    /// The owner's token, expired.
    Expired,
    /// A valid token of another customer.
    Stranger,
    Owner,
    /// A valid token with the admin role (not the owner).
    Admin,
}

/// The `Authorization` header `who` sends to a service that verifies tokens with `secret`;
/// `owner` is the customer whose resources the request names. `None`: no header.
pub fn bearer(who: Who, owner: &str, secret: &str) -> Option<String> {
    let keys = JwtKeys::hs256(&SecretString::from(secret.to_owned()));
    let ttl = Duration::from_secs(600);
    let token = match who {
        Who::Anonymous => return None,
        Who::Malformed => "not-a-jwt".to_owned(),
        Who::ForeignSecret => JwtKeys::hs256(&SecretString::from(
            "another-secret-at-least-32-bytes-long!",
        ))
        .issue(owner, false, ttl),
        Who::Expired => {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .expect("after 1970")
                .as_secs();
            keys.sign(&Claims {
                sub: owner.to_owned(),
                iat: now - 7200,
                exp: now - 3600,
                roles: vec![],
            })
        }
        Who::Stranger => keys.issue(
            &format!("stranger-{}", uuid::Uuid::now_v7().simple()),
            false,
            ttl,
        ),
        Who::Owner => keys.issue(owner, false, ttl),
        Who::Admin => keys.issue("ops", true, ttl),
    };
    Some(format!("Bearer {token}"))
}

/// Every kind of caller, in the order of a row's expected statuses.
pub const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Malformed,
    Who::ForeignSecret,
    Who::Expired,
    Who::Stranger,
    Who::Owner,
    Who::Admin,
];

/// One endpoint and the status each caller of [`EVERYONE`] must get, in that order.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    pub method: &'static str,
    /// The route's template with a query if it needs one: `/v1/orders/{id}`.
    pub path: &'static str,
    pub expect: [u16; 7],
}

/// A row of a matrix, for `const` tables.
pub const fn row(method: &'static str, path: &'static str, expect: [u16; 7]) -> Row {
    Row {
        method,
        path,
        expect,
    }
}

impl Row {
    /// The route template without its query.
    pub fn template(&self) -> &'static str {
        self.path
            .split_once('?')
            .map_or(self.path, |(path, _)| path)
    }
}

/// `(METHOD, template)` of every operation in an OpenAPI document.
pub fn documented_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("OpenAPI paths") {
        for method in ["get", "put", "post", "delete", "patch", "head", "options"] {
            if item.get(method).is_some() {
                operations.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    operations
}

/// Panics unless `rows` hold exactly one row per operation of `doc` plus the `undocumented`
/// ones (served but deliberately left out of the document): a new route without a row fails.
pub fn assert_rows_cover(rows: &[Row], doc: &Value, undocumented: &[(&str, &str)]) {
    let mut served = documented_operations(doc);
    served.extend(
        undocumented
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned())),
    );
    let mut tried = BTreeSet::new();
    for row in rows {
        let key = (row.method.to_owned(), row.template().to_owned());
        assert!(tried.insert(key.clone()), "two rows for {key:?}");
    }
    let missing: Vec<_> = served.difference(&tried).collect();
    let unknown: Vec<_> = tried.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "operations with no row in the authorization matrix: {missing:?}"
    );
    assert!(
        unknown.is_empty(),
        "rows for operations the service does not document: {unknown:?}"
    );
}

/// For each path of `rows`, the methods no row tries: each must be answered 405, so a method
/// added to a path without a row (and without a document entry) fails the matrix too.
pub fn untried_methods(rows: &[Row]) -> Vec<(&'static str, &'static str)> {
    let paths: BTreeSet<&str> = rows.iter().map(|r| r.path).collect();
    let mut untried = Vec::new();
    for path in paths {
        let template = path.split_once('?').map_or(path, |(p, _)| p);
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
            let tried = rows
                .iter()
                .any(|r| r.template() == template && r.method == method);
            if !tried && !untried.contains(&(method, path)) {
                untried.push((method, path));
            }
        }
    }
    untried
}

/// Tries every cell of `rows` with `try_cell` (which answers a line for a mismatch) and fails
/// with every mismatch at once.
pub async fn assert_matrix(
    rows: &[Row],
    mut try_cell: impl AsyncFnMut(&Row, Who, u16) -> Option<String>,
) {
    let mut failures = Vec::new();
    for row in rows {
        for (who, expected) in EVERYONE.into_iter().zip(row.expect) {
            failures.extend(try_cell(row, who, expected).await);
        }
    }
    assert!(
        failures.is_empty(),
        "authorization matrix:\n{}",
        failures.join("\n")
    );
}
