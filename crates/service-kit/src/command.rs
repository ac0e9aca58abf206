//! The command line both services share: `serve` (the default), `migrate`, `relay` and
//! `healthcheck`. A service says what is its own through [`Service`] (usually by
//! [`service!`](crate::service)); its `main` is one call to [`main`].

use std::future::Future;
use std::time::Duration;

use anyhow::Context;
use faults::Faults;
pub use http_kit::settings::CommonSettings;
pub use settings::{Env, SettingsError};
pub use tokio_util::sync::CancellationToken;

use crate::EventSettings;

/// What a service gives the shared command line.
pub trait Service {
    /// Its name, in messages.
    const NAME: &'static str;
    type Settings;
    fn settings(env: Env) -> Result<Self::Settings, SettingsError>;
    fn common(settings: &Self::Settings) -> &CommonSettings;
    fn events(settings: &Self::Settings) -> &EventSettings;
    /// The migrations of its database.
    fn migrator() -> &'static sqlx::migrate::Migrator;
    /// Builds the application and serves until `shutdown`.
    fn serve(
        settings: Self::Settings,
        shutdown: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>>;
}

/// Reads the settings (exit code 2 when they are bad, every bad variable named), sets up
/// telemetry, and runs the command given as the first argument.
pub async fn main<S: Service>() -> anyhow::Result<()> {
    let settings = match S::settings(Env::from_process()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("{}: {e}", S::NAME);
            std::process::exit(2);
        }
    };
    let common = S::common(&settings);
    let telemetry = telemetry::init(&common.otel, common.log_format);
    let result = match std::env::args().nth(1).as_deref() {
        Some("migrate") => migrate::<S>(&settings).await,
        None | Some("serve") => S::serve(settings, http_kit::shutdown::on_signal()).await,
        Some("healthcheck") => {
            let ready = http_kit::health::probe(S::common(&settings).http_addr);
            std::process::exit(if ready { 0 } else { 1 })
        }
        Some("relay") => relay::<S>(&settings, http_kit::shutdown::on_signal()).await,
        Some(other) => {
            anyhow::bail!(
                "unknown command {other:?}: expected `serve`, `migrate`, `relay` or `healthcheck`"
            )
        }
    };
    telemetry.shutdown();
    result
}

/// `<service> migrate`: applies the migrations (the Kubernetes Job and `make up` run this).
pub async fn migrate<S: Service>(settings: &S::Settings) -> anyhow::Result<()> {
    let db = storage::pool(
        &S::common(settings).database_url,
        1,
        Duration::from_secs(30),
        &Faults::default(),
    )?;
    S::migrator()
        .run(&db)
        .await
        .with_context(|| format!("migrating the {} database", S::NAME))?;
    tracing::info!("{} database migrated", S::NAME);
    Ok(())
}

/// `<service> relay`: only the outbox relay, as its own process.
pub async fn relay<S: Service>(
    settings: &S::Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    crate::run_relay_process(S::common(settings), S::events(settings), shutdown).await
}

/// Declares a service for the shared command line: a unit struct implementing [`Service`],
/// for a settings type with `from_env`, `common` and `events`, a `Migrator` static, and a
/// `build(settings)` that returns the service's [`crate::app::Application`].
#[macro_export]
macro_rules! service {
    ($(#[$doc:meta])* $name:ident = $service:literal {
        settings: $settings:ty,
        migrations: $migrator:path,
        build: $build:path $(,)?
    }) => {
        $(#[$doc])*
        #[derive(Debug)]
        pub struct $name;

        impl $crate::command::Service for $name {
            const NAME: &'static str = $service;
            type Settings = $settings;

            fn settings(
                env: $crate::command::Env,
            ) -> Result<$settings, $crate::command::SettingsError> {
                <$settings>::from_env(env)
            }

            fn common(settings: &$settings) -> &$crate::command::CommonSettings {
                &settings.common
            }

            fn events(settings: &$settings) -> &$crate::EventSettings {
                &settings.events
            }

            fn migrator() -> &'static sqlx::migrate::Migrator {
                &$migrator
            }

            async fn serve(
                settings: $settings,
                shutdown: $crate::command::CancellationToken,
            ) -> anyhow::Result<()> {
                $build(settings).await?.run_until_stopped(shutdown).await
            }
        }
    };
}
