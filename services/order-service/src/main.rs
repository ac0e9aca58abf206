#[tokio::main]
async fn main() -> anyhow::Result<()> {
    backbone::command::main::<order_service::startup::OrderService>().await
}
