//! order-service settings, read once at start (names in `settings::VARIABLES`).

use http_kit::settings::CommonSettings;
use service_kit::EventSettings;
use settings::{Env, SettingsError};

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
    pub events: EventSettings,
}

impl Settings {
    pub fn from_env(mut env: Env) -> Result<Self, SettingsError> {
        let common = CommonSettings::read(&mut env, "order-service");
        let events = EventSettings::read(&mut env);
        env.finish()?;
        let missing = || SettingsError(vec!["settings incomplete".to_owned()]);
        Ok(Self {
            common: common.ok_or_else(missing)?,
            events: events.ok_or_else(missing)?,
        })
    }
}
