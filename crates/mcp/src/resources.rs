//! Each integration's context prompt as a resource,
//! `patchbay://integrations/{name}`: what the integration's own prompt tells
//! an agent, listed for the integrations that have one.
use crate::api::{Calls, Refused};
use crate::server::{INTEGRATIONS, find, no_integration};
use patchbay_api_types::IntegrationResponse;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use rmcp::ErrorData;
use rmcp::model::{
    CacheScope, ListResourceTemplatesResult, ListResourcesResult, ReadResourceResult, Resource,
    ResourceContents, ResourceTemplate,
};

const SCHEME: &str = "patchbay://integrations/";
const MARKDOWN: &str = "text/markdown";
/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

/// `patchbay://integrations/{name}`, the name percent-encoded: names may
/// hold any character.
pub fn uri(name: &str) -> String {
    format!("{SCHEME}{}", utf8_percent_encode(name, SEGMENT))
}

fn prompt(integration: &IntegrationResponse) -> Option<&str> {
    integration.config.context_prompt.as_deref().filter(|prompt| !prompt.is_empty())
}

/// A refusal of the API is the request's error, not a missing resource.
fn refused(Refused(why): Refused) -> ErrorData {
    ErrorData::invalid_request(why, None)
}

pub async fn list(calls: &Calls<'_>) -> Result<ListResourcesResult, ErrorData> {
    let integrations: Vec<IntegrationResponse> = calls.get(INTEGRATIONS).await.map_err(refused)?;
    let resources = integrations
        .iter()
        .filter(|integration| prompt(integration).is_some())
        .map(|integration| {
            Resource::new(uri(&integration.name), integration.name.clone())
                .with_title(format!("{} ({})", integration.name, integration.integration_type))
                .with_description(format!("The context prompt of the integration {}", integration.name))
                .with_mime_type(MARKDOWN)
        })
        .collect();
    // The list changes with every edit and differs by caller: not to be cached.
    Ok(ListResourcesResult::with_all_items(resources).with_ttl_ms(0).with_cache_scope(CacheScope::Private))
}

pub fn templates() -> ListResourceTemplatesResult {
    let template = ResourceTemplate::new(format!("{SCHEME}{{name}}"), "integration-context-prompt")
        .with_title("An integration's context prompt")
        .with_description("What the integration's own context prompt tells an agent about using it")
        .with_mime_type(MARKDOWN);
    ListResourceTemplatesResult::with_all_items(vec![template])
}

pub async fn read(calls: &Calls<'_>, uri: &str) -> Result<ReadResourceResult, ErrorData> {
    let not_found = |why: String| ErrorData::resource_not_found(why, None);
    let encoded = uri
        .strip_prefix(SCHEME)
        .ok_or_else(|| not_found(format!("no resource {uri}; Patchbay's are {SCHEME}{{name}}")))?;
    let name = percent_decode_str(encoded)
        .decode_utf8()
        .map_err(|_| not_found(format!("no resource {uri}: the name is not UTF-8")))?;
    let integration =
        find(calls, &name).await.map_err(refused)?.ok_or_else(|| not_found(no_integration(&name).0))?;
    let text = prompt(&integration)
        .ok_or_else(|| not_found(format!("the integration {name:?} has no context prompt")))?
        .to_owned();
    let contents = ResourceContents::TextResourceContents {
        uri: uri.to_owned(),
        mime_type: Some(MARKDOWN.to_owned()),
        text,
        meta: None,
    };
    Ok(ReadResourceResult::new(vec![contents]).with_ttl_ms(0).with_cache_scope(CacheScope::Private))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded() {
        assert_eq!(uri("prod-db"), "patchbay://integrations/prod-db");
        assert_eq!(uri("a b/c"), "patchbay://integrations/a%20b%2Fc");
    }
}
