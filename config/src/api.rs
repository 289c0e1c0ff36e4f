//! [`ApiArgs`]: who may call the API.

use pixpipe_api::ApiKeys;

/// Settings only the API reads.
#[derive(Clone, Default, clap::Args)]
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

// Never prints the keys.
impl std::fmt::Debug for ApiArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiArgs")
            .field("keys", &self.keys().is_enabled())
            .finish()
    }
}
