//! Reads pixpipe's SAM template (`template.yaml`) and evaluates the
//! CloudFormation intrinsics that its resources and environment use, so local
//! set-ups are made from the template's own declarations.
//!
//! The YAML is parsed with `serde_norway`, which keeps the short-form tags
//! (`!Ref`, `!GetAtt`, `!Sub`, …) as tagged values; the long forms
//! (`{"Ref": …}`, `{"Fn::Sub": …}`) are read too. Supported: `Ref`
//! (parameters, pseudo parameters, resources), `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::FindInMap`, `Fn::If`, `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`,
//! `Fn::Select`, `Fn::Join`, `Fn::Split` and `Condition`. Any other intrinsic,
//! a dynamic reference (`{{resolve:…}}`) or a reference to something
//! undeclared is an error with a stable [`TemplateError::code`].

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::{Mapping, Value as Yaml};

mod eval;
pub use eval::{Evaluator, Resolve, pseudo_parameters};
use thiserror::Error;

/// pixpipe's SAM template, as committed at the root of the repository.
pub const SAM_TEMPLATE: &str = include_str!("../../template.yaml");

/// Deepest nesting of intrinsics evaluated (bounds recursive conditions).
pub(crate) const MAX_DEPTH: usize = 64;

/// Why a template could not be read or evaluated.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TemplateError {
    #[error("template is not valid YAML: {0}")]
    Yaml(String),
    #[error("template section or entry {0} is malformed")]
    Malformed(String),
    #[error("intrinsic {name} at {at} is not supported")]
    UnsupportedIntrinsic { name: String, at: String },
    #[error("{at}: {reason}")]
    Invalid { at: String, reason: String },
    #[error("parameter {0} is not declared by the template")]
    UnknownParameter(String),
    #[error("parameter {name}: {reason}")]
    InvalidParameter { name: String, reason: String },
    #[error("{at} refers to {name}, which the template does not declare")]
    UnknownReference { name: String, at: String },
    #[error("{at} needs resource {0} before it exists", .resource)]
    NotYetCreated { resource: String, at: String },
    #[error("{at}: property {property} is not supported")]
    UnsupportedProperty { property: String, at: String },
    #[error("resource {name} has type {kind}, which pixpipe cannot provision or skip")]
    UnsupportedResourceType { name: String, kind: String },
    #[error("resources {0:?} wait on each other or on a missing resource")]
    Unordered(Vec<String>),
}

impl TemplateError {
    /// A stable snake_case code for logs and tests.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::Yaml(_) => "template_yaml",
            TemplateError::Malformed(_) => "template_malformed",
            TemplateError::UnsupportedIntrinsic { .. } => "unsupported_intrinsic",
            TemplateError::Invalid { .. } => "invalid_value",
            TemplateError::UnknownParameter(_) => "unknown_parameter",
            TemplateError::InvalidParameter { .. } => "invalid_parameter",
            TemplateError::UnknownReference { .. } => "unknown_reference",
            TemplateError::NotYetCreated { .. } => "not_yet_created",
            TemplateError::UnsupportedProperty { .. } => "unsupported_property",
            TemplateError::UnsupportedResourceType { .. } => "unsupported_resource_type",
            TemplateError::Unordered(_) => "unordered_resources",
        }
    }
}

pub(crate) fn invalid(at: &str, reason: impl Into<String>) -> TemplateError {
    TemplateError::Invalid {
        at: at.to_owned(),
        reason: reason.into(),
    }
}

/// One entry of `Resources`.
#[derive(Debug, Clone)]
pub struct Resource {
    pub name: String,
    pub kind: String,
    pub properties: Yaml,
    pub depends_on: Vec<String>,
    pub condition: Option<String>,
}

/// A parsed template: the sections pixpipe evaluates.
#[derive(Debug, Clone)]
pub struct Template {
    parameters: Mapping,
    pub(crate) mappings: Mapping,
    pub(crate) conditions: Mapping,
    globals: Yaml,
    /// In the template's order.
    pub resources: Vec<Resource>,
}

impl Template {
    /// [`SAM_TEMPLATE`], parsed.
    pub fn pixpipe() -> Result<Self, TemplateError> {
        Self::parse(SAM_TEMPLATE)
    }

    /// Parses a template's YAML text.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let root: Yaml =
            serde_norway::from_str(text).map_err(|e| TemplateError::Yaml(e.to_string()))?;
        let section = |name: &str| -> Result<Mapping, TemplateError> {
            match root.get(name) {
                None => Ok(Mapping::new()),
                Some(Yaml::Mapping(m)) => Ok(m.clone()),
                Some(_) => Err(TemplateError::Malformed(name.to_owned())),
            }
        };
        let mut resources = Vec::new();
        for (name, body) in section("Resources")? {
            let name = name
                .as_str()
                .ok_or_else(|| TemplateError::Malformed("Resources".into()))?;
            let malformed = || TemplateError::Malformed(format!("Resources.{name}"));
            let kind = body
                .get("Type")
                .and_then(Yaml::as_str)
                .ok_or_else(malformed)?;
            let depends_on = match body.get("DependsOn") {
                None => Vec::new(),
                Some(Yaml::String(one)) => vec![one.clone()],
                Some(Yaml::Sequence(many)) => many
                    .iter()
                    .map(|d| d.as_str().map(str::to_owned).ok_or_else(malformed))
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err(malformed()),
            };
            let condition = match body.get("Condition") {
                None => None,
                Some(c) => Some(c.as_str().ok_or_else(malformed)?.to_owned()),
            };
            resources.push(Resource {
                name: name.to_owned(),
                kind: kind.to_owned(),
                properties: body
                    .get("Properties")
                    .cloned()
                    .unwrap_or(Yaml::Mapping(Mapping::new())),
                depends_on,
                condition,
            });
        }
        Ok(Template {
            parameters: section("Parameters")?,
            mappings: section("Mappings")?,
            conditions: section("Conditions")?,
            globals: root.get("Globals").cloned().unwrap_or(Yaml::Null),
            resources,
        })
    }

    /// `Globals.Function.Environment.Variables`: what every function is given.
    pub fn function_environment(&self) -> Option<&Yaml> {
        self.globals
            .get("Function")?
            .get("Environment")?
            .get("Variables")
    }

    /// Every parameter's value: its default, or `overrides`, each checked
    /// against the parameter's type, `AllowedValues` and `MinValue`/`MaxValue`.
    pub fn parameter_values(
        &self,
        overrides: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, Json>, TemplateError> {
        for name in overrides.keys() {
            if !self.parameters.contains_key(name.as_str()) {
                return Err(TemplateError::UnknownParameter(name.clone()));
            }
        }
        let mut values = BTreeMap::new();
        for (name, decl) in &self.parameters {
            let name = name
                .as_str()
                .ok_or_else(|| TemplateError::Malformed("Parameters".into()))?;
            let bad = |reason: String| TemplateError::InvalidParameter {
                name: name.to_owned(),
                reason,
            };
            let raw = match overrides.get(name) {
                Some(v) => v.clone(),
                None => match decl.get("Default") {
                    Some(Yaml::String(s)) => s.clone(),
                    Some(Yaml::Number(n)) => n.to_string(),
                    Some(Yaml::Bool(b)) => b.to_string(),
                    _ => return Err(bad("no value and no default".into())),
                },
            };
            if let Some(Yaml::Sequence(allowed)) = decl.get("AllowedValues")
                && !allowed
                    .iter()
                    .any(|a| scalar_text(a).as_deref() == Some(raw.as_str()))
            {
                return Err(bad(format!("{raw:?} is not one of its AllowedValues")));
            }
            let kind = decl.get("Type").and_then(Yaml::as_str).unwrap_or("String");
            let value = match kind {
                "Number" => {
                    let n: f64 = raw
                        .trim()
                        .parse()
                        .map_err(|_| bad(format!("{raw:?} is not a number")))?;
                    let bound = |key| decl.get(key).and_then(Yaml::as_f64);
                    if bound("MinValue").is_some_and(|min| n < min)
                        || bound("MaxValue").is_some_and(|max| n > max)
                    {
                        return Err(bad(format!("{raw} is outside MinValue..MaxValue")));
                    }
                    Json::String(raw)
                }
                "CommaDelimitedList" => Json::Array(
                    raw.split(',')
                        .map(|s| Json::String(s.trim().to_owned()))
                        .collect(),
                ),
                _ => Json::String(raw),
            };
            values.insert(name.to_owned(), value);
        }
        Ok(values)
    }
}

/// The text of a scalar (`5` and `"5"` alike).
pub(crate) fn scalar_text(value: &Yaml) -> Option<String> {
    match value {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn json_text(value: &Json, at: &str) -> Result<String, TemplateError> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid(at, "expected a string")),
    }
}

#[cfg(test)]
#[path = "template_tests.rs"]
mod tests;
