//! What order-service adds to the shared start-up (`service_kit::app`): its saga handler on the
//! checkout and payment topics, and the sweeper of stuck orders.

use service_kit::app::Base;
use utoipa::OpenApi;

use crate::openapi::ApiDoc;
use crate::saga::OrderSaga;
use crate::saga::sweeper::Sweeper;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{MIGRATOR, routes};

/// A built, bound, not yet running order-service.
pub type Application = service_kit::app::Application<OrderSaga>;

/// Builds the application once; `main` and the tests start it the same way.
pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    let common = &settings.common;
    let mut base = Base::new("order-service", common)?;
    let topics = vec![events::topics::CHECKOUT, events::topics::PAYMENT];
    let backbone = base.backbone(common, &settings.events, topics, OrderSaga)?;
    let sweeper: Sweeper = base.sweeper(
        settings.events.saga_timeout,
        "Orders awaiting payment or owed a refund,",
    );
    let state = AppState {
        db: base.db.clone(),
        keys: base.keys.clone(),
    };
    let app = base
        .application(
            common,
            &settings.events,
            backbone,
            routes::router(state),
            ApiDoc::openapi(),
        )
        .await?;
    Ok(app.sweeping(sweeper))
}

service_kit::service! {
    /// order-service as the shared command line runs it (`service_kit::command`).
    OrderService = "order-service" {
        settings: Settings,
        migrations: MIGRATOR,
        build: build,
    }
}
