//! The intrinsic evaluator of [`crate::template`]: [`Evaluator::eval`] turns
//! a template value into JSON against parameter values, pseudo parameters and
//! the resources made so far ([`Resolve`]).

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::{MAX_DEPTH, Template, TemplateError, invalid, json_text, scalar_text};

/// What the evaluator knows about resources that exist.
pub trait Resolve {
    /// `Ref` of a created resource.
    fn reference(&self, resource: &str) -> Option<String>;
    /// `Fn::GetAtt` of a created resource; `None` for an attribute it lacks.
    fn attribute(&self, resource: &str, attribute: &str) -> Option<String>;
}

/// Evaluates intrinsics against parameter values, pseudo parameters and resources.
pub struct Evaluator<'a> {
    pub template: &'a Template,
    /// From [`Template::parameter_values`].
    pub parameters: &'a BTreeMap<String, Json>,
    /// `AWS::StackName`, `AWS::Region`, … (without `AWS::NoValue`).
    pub pseudo: &'a BTreeMap<String, String>,
    pub resources: &'a dyn Resolve,
}

/// The pseudo parameters of a stack.
pub fn pseudo_parameters(stack: &str, region: &str, account: &str) -> BTreeMap<String, String> {
    let partition = if region.starts_with("cn-") {
        "aws-cn"
    } else {
        "aws"
    };
    let suffix = if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    [
        ("AWS::StackName", stack.to_owned()),
        (
            "AWS::StackId",
            format!("arn:{partition}:cloudformation:{region}:{account}:stack/{stack}/local"),
        ),
        ("AWS::Region", region.to_owned()),
        ("AWS::AccountId", account.to_owned()),
        ("AWS::Partition", partition.to_owned()),
        ("AWS::URLSuffix", suffix.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

impl Evaluator<'_> {
    /// `value` with every intrinsic evaluated; `None` for `AWS::NoValue`.
    pub fn eval(&self, value: &Yaml, at: &str) -> Result<Option<Json>, TemplateError> {
        self.eval_at(value, at, 0)
    }

    /// Like [`Evaluator::eval`], but `AWS::NoValue` is an error.
    pub fn eval_some(&self, value: &Yaml, at: &str) -> Result<Json, TemplateError> {
        self.eval(value, at)?
            .ok_or_else(|| invalid(at, "AWS::NoValue where a value is needed"))
    }

    fn eval_at(&self, value: &Yaml, at: &str, depth: usize) -> Result<Option<Json>, TemplateError> {
        if depth > MAX_DEPTH {
            return Err(invalid(at, "intrinsics nested too deeply"));
        }
        match value {
            Yaml::Null => Ok(Some(Json::Null)),
            Yaml::Bool(b) => Ok(Some(Json::Bool(*b))),
            Yaml::Number(n) => Ok(Some(
                serde_json::to_value(n).map_err(|e| invalid(at, e.to_string()))?,
            )),
            Yaml::String(s) => {
                if s.contains("{{resolve:") {
                    return Err(TemplateError::UnsupportedIntrinsic {
                        name: "dynamic reference".into(),
                        at: at.to_owned(),
                    });
                }
                Ok(Some(Json::String(s.clone())))
            }
            Yaml::Sequence(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    if let Some(v) = self.eval_at(item, &format!("{at}[{i}]"), depth + 1)? {
                        out.push(v);
                    }
                }
                Ok(Some(Json::Array(out)))
            }
            Yaml::Tagged(tagged) => {
                let name = tagged.tag.to_string();
                let name = name.trim_start_matches('!');
                let long = if matches!(name, "Ref" | "Condition") {
                    name.to_owned()
                } else {
                    format!("Fn::{name}")
                };
                self.intrinsic(&long, &tagged.value, at, depth)
            }
            Yaml::Mapping(map) => {
                if map.len() == 1 {
                    let (key, arg) = map.iter().next().expect("one entry");
                    if let Some(key) = key
                        .as_str()
                        .filter(|k| *k == "Ref" || k.starts_with("Fn::"))
                    {
                        return self.intrinsic(key, arg, at, depth);
                    }
                }
                let mut out = serde_json::Map::new();
                for (key, item) in map {
                    let key = scalar_text(key)
                        .ok_or_else(|| invalid(at, "a mapping key is not a scalar"))?;
                    if let Some(v) = self.eval_at(item, &format!("{at}.{key}"), depth + 1)? {
                        out.insert(key, v);
                    }
                }
                Ok(Some(Json::Object(out)))
            }
        }
    }

    fn intrinsic(
        &self,
        name: &str,
        arg: &Yaml,
        at: &str,
        depth: usize,
    ) -> Result<Option<Json>, TemplateError> {
        let at_fn = format!("{at}.{name}");
        let text = |v: &Yaml| -> Result<String, TemplateError> {
            json_text(
                &self.eval_at(v, &at_fn, depth + 1)?.unwrap_or(Json::Null),
                &at_fn,
            )
        };
        let args = |n: usize| -> Result<&Vec<Yaml>, TemplateError> {
            match arg {
                Yaml::Sequence(items) if items.len() == n => Ok(items),
                _ => Err(invalid(&at_fn, format!("expects a list of {n}"))),
            }
        };
        match name {
            "Ref" => self.reference(&text(arg)?, &at_fn),
            "Fn::GetAtt" => {
                let (resource, attribute) = match arg {
                    Yaml::String(dotted) => dotted
                        .split_once('.')
                        .map(|(r, a)| (r.to_owned(), a.to_owned())),
                    Yaml::Sequence(items) if items.len() == 2 => {
                        Some((text(&items[0])?, text(&items[1])?))
                    }
                    _ => None,
                }
                .ok_or_else(|| invalid(&at_fn, "expects Resource.Attribute"))?;
                self.attribute(&resource, &attribute, &at_fn)
                    .map(|v| Some(Json::String(v)))
            }
            "Fn::Sub" => {
                let (pattern, vars) = match arg {
                    Yaml::Sequence(items) if items.len() == 2 => {
                        (text(&items[0])?, self.eval_some(&items[1], &at_fn)?)
                    }
                    other => (text(other)?, Json::Object(Default::default())),
                };
                self.substitute(&pattern, &vars, &at_fn)
                    .map(|s| Some(Json::String(s)))
            }
            "Fn::FindInMap" => {
                let items = args(3)?;
                let (map, top, second) = (text(&items[0])?, text(&items[1])?, text(&items[2])?);
                let found = self
                    .template
                    .mappings
                    .get(map.as_str())
                    .and_then(|m| find_key(m, &top))
                    .and_then(|m| find_key(m, &second))
                    .ok_or_else(|| invalid(&at_fn, format!("no {map}.{top}.{second}")))?;
                self.eval_at(found, &at_fn, depth + 1)
            }
            "Fn::If" => {
                let items = args(3)?;
                let condition = text(&items[0])?;
                let branch = if self.condition(&condition, &at_fn, depth + 1)? {
                    &items[1]
                } else {
                    &items[2]
                };
                self.eval_at(branch, &at_fn, depth + 1)
            }
            "Fn::Equals" => {
                let items = args(2)?;
                let a = self.eval_at(&items[0], &at_fn, depth + 1)?;
                let b = self.eval_at(&items[1], &at_fn, depth + 1)?;
                Ok(Some(Json::Bool(a == b)))
            }
            "Fn::Not" => {
                let items = args(1)?;
                Ok(Some(Json::Bool(!self.truth(&items[0], &at_fn, depth)?)))
            }
            "Fn::And" | "Fn::Or" => {
                let Yaml::Sequence(items) = arg else {
                    return Err(invalid(&at_fn, "expects a list"));
                };
                let mut truths = Vec::with_capacity(items.len());
                for item in items {
                    truths.push(self.truth(item, &at_fn, depth)?);
                }
                let all = name == "Fn::And";
                Ok(Some(Json::Bool(if all {
                    truths.iter().all(|t| *t)
                } else {
                    truths.iter().any(|t| *t)
                })))
            }
            "Condition" => Ok(Some(Json::Bool(self.condition(
                &text(arg)?,
                &at_fn,
                depth + 1,
            )?))),
            "Fn::Select" => {
                let items = args(2)?;
                let index: usize = text(&items[0])?
                    .parse()
                    .map_err(|_| invalid(&at_fn, "index is not a whole number"))?;
                match self.eval_some(&items[1], &at_fn)? {
                    Json::Array(list) => list
                        .get(index)
                        .cloned()
                        .map(Some)
                        .ok_or_else(|| invalid(&at_fn, "index out of range")),
                    _ => Err(invalid(&at_fn, "selects from a non-list")),
                }
            }
            "Fn::Join" => {
                let items = args(2)?;
                let delimiter = text(&items[0])?;
                let Json::Array(list) = self.eval_some(&items[1], &at_fn)? else {
                    return Err(invalid(&at_fn, "joins a non-list"));
                };
                let parts = list
                    .iter()
                    .map(|v| json_text(v, &at_fn))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some(Json::String(parts.join(&delimiter))))
            }
            "Fn::Split" => {
                let items = args(2)?;
                let (delimiter, source) = (text(&items[0])?, text(&items[1])?);
                if delimiter.is_empty() {
                    return Err(invalid(&at_fn, "empty delimiter"));
                }
                Ok(Some(Json::Array(
                    source
                        .split(delimiter.as_str())
                        .map(|s| Json::String(s.to_owned()))
                        .collect(),
                )))
            }
            other => Err(TemplateError::UnsupportedIntrinsic {
                name: other.to_owned(),
                at: at.to_owned(),
            }),
        }
    }

    fn truth(&self, value: &Yaml, at: &str, depth: usize) -> Result<bool, TemplateError> {
        match self.eval_at(value, at, depth + 1)? {
            Some(Json::Bool(b)) => Ok(b),
            _ => Err(invalid(at, "expects a condition")),
        }
    }

    /// The value of the named entry of `Conditions`.
    pub fn condition(&self, name: &str, at: &str, depth: usize) -> Result<bool, TemplateError> {
        let body =
            self.template
                .conditions
                .get(name)
                .ok_or_else(|| TemplateError::UnknownReference {
                    name: name.to_owned(),
                    at: at.to_owned(),
                })?;
        self.truth(body, &format!("Conditions.{name}"), depth)
    }

    fn reference(&self, name: &str, at: &str) -> Result<Option<Json>, TemplateError> {
        if name == "AWS::NoValue" {
            return Ok(None);
        }
        if let Some(v) = self.pseudo.get(name) {
            return Ok(Some(Json::String(v.clone())));
        }
        if let Some(v) = self.parameters.get(name) {
            return Ok(Some(v.clone()));
        }
        self.declared(name, at)?;
        match self.resources.reference(name) {
            Some(v) => Ok(Some(Json::String(v))),
            None => Err(TemplateError::NotYetCreated {
                resource: name.to_owned(),
                at: at.to_owned(),
            }),
        }
    }

    fn attribute(
        &self,
        resource: &str,
        attribute: &str,
        at: &str,
    ) -> Result<String, TemplateError> {
        self.declared(resource, at)?;
        if self.resources.reference(resource).is_none() {
            return Err(TemplateError::NotYetCreated {
                resource: resource.to_owned(),
                at: at.to_owned(),
            });
        }
        self.resources
            .attribute(resource, attribute)
            .ok_or_else(|| invalid(at, format!("{resource} has no attribute {attribute} here")))
    }

    fn declared(&self, name: &str, at: &str) -> Result<(), TemplateError> {
        if self.template.resources.iter().any(|r| r.name == name) {
            Ok(())
        } else {
            Err(TemplateError::UnknownReference {
                name: name.to_owned(),
                at: at.to_owned(),
            })
        }
    }

    /// `Fn::Sub`: `${Name}`, `${Resource.Attribute}`, `${!Literal}`.
    fn substitute(&self, pattern: &str, vars: &Json, at: &str) -> Result<String, TemplateError> {
        let mut out = String::with_capacity(pattern.len());
        let mut rest = pattern;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| invalid(at, "unclosed ${ in Fn::Sub"))?;
            let name = &after[..end];
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
            } else if let Some(v) = vars.get(name) {
                out.push_str(&json_text(v, at)?);
            } else if let Some((resource, attribute)) = name.split_once('.') {
                out.push_str(&self.attribute(resource, attribute, at)?);
            } else {
                match self.reference(name, at)? {
                    Some(v) => out.push_str(&json_text(&v, at)?),
                    None => return Err(invalid(at, "AWS::NoValue inside Fn::Sub")),
                }
            }
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// A mapping's entry under `key`, whether the YAML key is a string or a number.
fn find_key<'y>(map: &'y Yaml, key: &str) -> Option<&'y Yaml> {
    map.as_mapping()?
        .iter()
        .find(|(k, _)| scalar_text(k).as_deref() == Some(key))
        .map(|(_, v)| v)
}
