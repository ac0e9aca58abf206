#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_kit::command::main::<checkout_service::startup::CheckoutService>().await
}
