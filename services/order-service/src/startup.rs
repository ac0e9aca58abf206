//! Builds the application once; `main` and the tests start it the same way.

use std::time::Duration;

use anyhow::Context;
use axum::Router;
use http_kit::auth::JwtKeys;
use http_kit::health::Draining;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::settings::Settings;
use crate::state::AppState;
use crate::{MIGRATOR, routes};

/// A built, bound, not yet running order-service.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let common = &settings.common;
        let db = http_kit::db::pool(
            &common.database_url,
            common.db_pool_max,
            common.db_acquire_timeout,
        )
        .context("DATABASE_URL")?;
        let state = AppState {
            db,
            keys: JwtKeys::hs256(&common.jwt_secret),
            draining: Draining::default(),
        };
        let listener = TcpListener::bind(common.http_addr)
            .await
            .with_context(|| format!("cannot listen on HTTP_ADDR {}", common.http_addr))?;
        Ok(Self {
            listener,
            router: routes::router(state.clone()),
            state,
        })
    }

    /// The bound port (tests bind port 0).
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The database pool (tests seed orders through the data layer with it).
    pub fn db(&self) -> sqlx::PgPool {
        self.state.db.clone()
    }

    /// Serves until `shutdown` fires, then drains in-flight requests and returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, "order-service listening");
        http_kit::layers::serve(self.listener, self.router, shutdown, self.state.draining).await?;
        tracing::info!("order-service stopped");
        Ok(())
    }
}

/// Applies the migrations (the Kubernetes Job and `make up` run this).
pub async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    let db = http_kit::db::pool(&settings.common.database_url, 1, Duration::from_secs(30))?;
    MIGRATOR
        .run(&db)
        .await
        .context("migrating the order database")?;
    tracing::info!("order database migrated");
    Ok(())
}
