#[tokio::main]
async fn main() -> anyhow::Result<()> {
    backbone::command::main::<checkout_service::startup::CheckoutService>().await
}
