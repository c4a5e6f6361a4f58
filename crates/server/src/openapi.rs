//! The OpenAPI document the server hands out at `/openapi.json`. Its paths are
//! written by hand (docs/openapi.json); its `components.schemas` are generated
//! from the answer types themselves ([`schemas`]), and a test keeps the file
//! equal to them, so the document cannot drift from what the server answers.

use crate::app::ErrorBody;

/// The OpenAPI document, kept in the repository (docs/openapi.json).
pub const DOCUMENT: &str = include_str!("../../../docs/openapi.json");

/// The JSON Schemas of every answer (the views, screenings, traces and errors,
/// and every structure inside them), by name, for `components.schemas` (OpenAPI
/// 3.0 dialect).
pub fn schemas() -> serde_json::Map<String, serde_json::Value> {
    let mut generator = schemars::generate::SchemaSettings::openapi3().into_generator();
    generator.subschema_for::<views::TxView>();
    generator.subschema_for::<views::AddressView>();
    generator.subschema_for::<views::EntityView>();
    generator.subschema_for::<tags::ScreenReport>();
    generator.subschema_for::<trace::Report>();
    generator.subschema_for::<ErrorBody>();
    generator.subschema_for::<views::BlockView>();
    generator.subschema_for::<crate::search::SearchAnswer>();
    generator.subschema_for::<crate::cases::Case>();
    generator.subschema_for::<crate::investigation::CaseList>();
    generator.subschema_for::<crate::investigation::CaseDeleted>();
    generator.subschema_for::<crate::investigation::SessionAnswer>();
    generator.subschema_for::<crate::investigation::InvestigatorLabels>();
    generator.subschema_for::<crate::app::LoginAnswer>();
    generator.subschema_for::<crate::investigation::TimeWindow>();
    generator.subschema_for::<crate::investigation::PathAnswer>();
    generator.take_definitions(true)
}
