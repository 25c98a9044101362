//! The request models' JSON schemas are generated from their field
//! declarations; generated clients of the reference depend on their exact
//! shape (titles, property order, `anyOf` with `null`), so the text is
//! compared with a recorded copy, byte for byte.
use patchbay_api_types::schema::components;

/// The components built from `patchbay_api_types::fields`, in the order the
/// document lists them.
const DECLARED: [&str; 8] = [
    "CreateCustomIntegrationRequest",
    "UpdateCustomIntegrationRequest",
    "CustomIntegrationConfig",
    "CustomIntegrationStatus",
    "FileConfig",
    "ConnectionTest",
    "DynamicCredential",
    "DynamicCredentialEnv",
];

#[test]
fn request_schemas_are_unchanged() {
    let declared: serde_json::Map<String, serde_json::Value> =
        components().into_iter().filter(|(name, _)| DECLARED.contains(&name.as_str())).collect();
    assert_eq!(declared.len(), DECLARED.len(), "a declared component is missing from the document");
    let text = serde_json::to_string_pretty(&declared).unwrap();
    let recorded = include_str!("fixtures/request_schemas.json");
    assert!(
        text == recorded.trim_end(),
        "the request schemas changed; if that is intended, replace tests/fixtures/request_schemas.json \
         with:\n{text}"
    );
}
