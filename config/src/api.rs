//! [`ApiArgs`]: who may call the API.

use pixpipe_api::ApiKeys;

/// Settings only the API reads.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ApiArgs {
    /// Comma-separated API keys; when empty, the API needs no key.
    #[arg(
        long,
        env = "PIXPIPE_API_KEYS",
        default_value = "",
        hide_env_values = true
    )]
    pub api_keys: String,
}

impl ApiArgs {
    pub fn keys(&self) -> ApiKeys {
        ApiKeys::from_csv(&self.api_keys)
    }
}
