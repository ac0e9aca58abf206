//! order-service settings, read once at start (names in `http_kit::settings::VARIABLES`).

use http_kit::settings::{CommonSettings, Env, SettingsError};

#[derive(Debug, Clone)]
pub struct Settings {
    pub common: CommonSettings,
}

impl Settings {
    pub fn from_env(mut env: Env) -> Result<Self, SettingsError> {
        let common = CommonSettings::read(&mut env, "order-service");
        env.finish()?;
        let common = common.ok_or_else(|| SettingsError(vec!["settings incomplete".to_owned()]))?;
        Ok(Self { common })
    }
}
