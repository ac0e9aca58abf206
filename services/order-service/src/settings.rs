//! order-service settings, read once at start (names in `http_kit::settings::VARIABLES`).

use backbone::EventSettings;
use http_kit::settings::{CommonSettings, Env, SettingsError};

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
