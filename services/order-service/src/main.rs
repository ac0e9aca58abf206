#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_kit::command::main::<order_service::startup::OrderService>().await
}
