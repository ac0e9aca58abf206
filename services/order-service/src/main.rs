use http_kit::settings::Env;
use order_service::settings::Settings;
use order_service::startup::Application;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = match Settings::from_env(Env::from_process()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("order-service: {e}");
            std::process::exit(2);
        }
    };
    let common = &settings.common;
    let telemetry = telemetry::init(
        &common.service_name,
        common.log_format,
        common.otlp_endpoint.as_deref(),
    );
    let result = match std::env::args().nth(1).as_deref() {
        Some("migrate") => order_service::startup::migrate(&settings).await,
        None | Some("serve") => {
            let app = Application::build(settings).await?;
            app.run_until_stopped(http_kit::shutdown::on_signal()).await
        }
        Some("healthcheck") => {
            let ready = http_kit::health::probe(settings.common.http_addr);
            std::process::exit(if ready { 0 } else { 1 })
        }
        Some("relay") => {
            let shutdown = http_kit::shutdown::on_signal();
            order_service::startup::relay(&settings, shutdown).await
        }
        Some(other) => {
            anyhow::bail!(
                "unknown command {other:?}: expected `serve`, `migrate`, `relay` or `healthcheck`"
            )
        }
    };
    telemetry.shutdown();
    result
}
