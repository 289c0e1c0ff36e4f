//! [`Props`]: a resource's evaluated properties, read key by key; a key left
//! unread is an `unsupported_property` error, so nothing the template says is
//! silently dropped.

use serde_json::{Map, Value as Json};

use crate::template::TemplateError;

/// An evaluated property object with its path for error messages.
pub struct Props {
    map: Map<String, Json>,
    pub at: String,
}

impl Props {
    pub fn new(value: Json, at: &str) -> Result<Self, TemplateError> {
        match value {
            Json::Object(map) => Ok(Props {
                map,
                at: at.to_owned(),
            }),
            Json::Null => Ok(Props {
                map: Map::new(),
                at: at.to_owned(),
            }),
            _ => Err(invalid(at, "expected a mapping")),
        }
    }

    /// Removes and returns `key`.
    pub fn take(&mut self, key: &str) -> Option<Json> {
        self.map.remove(key)
    }

    /// Accepts `key` without applying it (a setting a local server ignores);
    /// its value must still have evaluated.
    pub fn accept(&mut self, key: &str) {
        self.map.remove(key);
    }

    pub fn string(&mut self, key: &str) -> Result<Option<String>, TemplateError> {
        let at = self.path(key);
        self.take(key).map(|v| text(&v, &at)).transpose()
    }

    pub fn required_string(&mut self, key: &str) -> Result<String, TemplateError> {
        let at = self.path(key);
        self.string(key)?.ok_or_else(|| invalid(&at, "is required"))
    }

    pub fn int(&mut self, key: &str) -> Result<Option<i64>, TemplateError> {
        let at = self.path(key);
        self.take(key).map(|v| int(&v, &at)).transpose()
    }

    pub fn bool(&mut self, key: &str) -> Result<Option<bool>, TemplateError> {
        let at = self.path(key);
        match self.take(key) {
            None => Ok(None),
            Some(Json::Bool(b)) => Ok(Some(b)),
            Some(Json::String(s)) if s == "true" || s == "false" => Ok(Some(s == "true")),
            Some(_) => Err(invalid(&at, "expected true or false")),
        }
    }

    /// A list of strings (a single string counts as a list of one).
    pub fn strings(&mut self, key: &str) -> Result<Vec<String>, TemplateError> {
        let at = self.path(key);
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items.iter().map(|v| text(v, &at)).collect(),
            Some(other) => Ok(vec![text(&other, &at)?]),
        }
    }

    /// A nested object.
    pub fn object(&mut self, key: &str) -> Result<Option<Props>, TemplateError> {
        let at = self.path(key);
        self.take(key).map(|v| Props::new(v, &at)).transpose()
    }

    /// A list of nested objects.
    pub fn objects(&mut self, key: &str) -> Result<Vec<Props>, TemplateError> {
        let at = self.path(key);
        match self.take(key) {
            None => Ok(Vec::new()),
            Some(Json::Array(items)) => items
                .into_iter()
                .enumerate()
                .map(|(i, v)| Props::new(v, &format!("{at}[{i}]")))
                .collect(),
            Some(_) => Err(invalid(&at, "expected a list")),
        }
    }

    /// Errors on the first key nobody read.
    pub fn finish(self) -> Result<(), TemplateError> {
        match self.map.keys().next() {
            None => Ok(()),
            Some(key) => Err(TemplateError::UnsupportedProperty {
                property: key.clone(),
                at: self.at,
            }),
        }
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.at)
    }
}

pub fn invalid(at: &str, reason: &str) -> TemplateError {
    TemplateError::Invalid {
        at: at.to_owned(),
        reason: reason.to_owned(),
    }
}

/// A scalar as text (numbers and booleans as written).
pub fn text(value: &Json, at: &str) -> Result<String, TemplateError> {
    match value {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        Json::Bool(b) => Ok(b.to_string()),
        _ => Err(invalid(at, "expected a scalar")),
    }
}

/// A whole number, written as a number or as a numeric string.
pub fn int(value: &Json, at: &str) -> Result<i64, TemplateError> {
    match value {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .ok_or_else(|| invalid(at, "expected a whole number"))
}
