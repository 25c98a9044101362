use patchbay_domain::{Integration, IntegrationConfig, format_timestamp};
use serde::{Deserialize, Serialize};

/// The seed's `CustomIntegrationResponse`: exactly its keys, in its order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntegrationResponse {
    pub id: String,
    pub organization_id: String,
    pub name: String,
    pub integration_type: String,
    pub description: Option<String>,
    pub status: String,
    pub config: IntegrationConfig,
    pub tags: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
    pub created_by: Option<String>,
}

impl From<Integration> for IntegrationResponse {
    fn from(integration: Integration) -> Self {
        Self {
            id: integration.id.to_string(),
            organization_id: integration.organization_id.to_string(),
            name: integration.name,
            integration_type: integration.integration_type,
            description: integration.description,
            status: integration.status.as_str().to_owned(),
            config: integration.config,
            tags: integration.tags,
            created_at: format_timestamp(integration.created_at),
            updated_at: format_timestamp(integration.updated_at),
            created_by: integration.created_by,
        }
    }
}

/// FastAPI's `HTTPException` body for plain errors: `{"detail": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub detail: String,
}
