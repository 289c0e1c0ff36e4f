//! The intrinsic evaluator on a small template and on pixpipe's own.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use super::*;

const SMALL: &str = r#"
Parameters:
  Size: { Type: String, Default: "5", AllowedValues: ["1", "5"] }
  Origins: { Type: CommaDelimitedList, Default: "a,b" }
  Base: { Type: String, Default: "" }
  Memory: { Type: Number, Default: 128, MinValue: 128, MaxValue: 512 }
Mappings:
  Table:
    "1": { Receives: 2 }
    "5": { Receives: 6 }
Conditions:
  HasBase: !Not [!Equals [!Ref Base, ""]]
  Both: !And [!Condition HasBase, !Equals [a, a]]
Resources:
  Thing:
    Type: AWS::SQS::Queue
    Properties:
      Receives: !FindInMap [Table, !Ref Size, Receives]
      Long: { "Fn::FindInMap": [Table, "1", Receives] }
      Name: !Sub "${AWS::StackName}-x-${AWS::AccountId}"
      Arn: !GetAtt Other.Arn
      ArnList: !GetAtt [Other, Arn]
      SubAttr: !Sub "${Other.Arn}/index/${!Literal}"
      SubVars: !Sub ["${A}-${Size}", { A: !Ref Other }]
      Url: !If [HasBase, !Ref Base, !Sub "https://${Other.Domain}"]
      Second: !Select [1, !Ref Origins]
      Joined: !Join ["|", !Split [",", "x,y"]]
      Gone: !If [Both, kept, !Ref AWS::NoValue]
      List: [one, !Ref AWS::NoValue, two]
  Other:
    Type: AWS::SQS::Queue
"#;

struct Fake(bool);

impl Resolve for Fake {
    fn reference(&self, resource: &str) -> Option<String> {
        (self.0 && resource == "Other").then(|| "other-ref".to_owned())
    }
    fn attribute(&self, resource: &str, attribute: &str) -> Option<String> {
        (self.0 && resource == "Other").then(|| format!("{resource}-{attribute}"))
    }
}

fn eval(text: &str, overrides: &[(&str, &str)], made: bool) -> Result<Json, TemplateError> {
    let template = Template::parse(text)?;
    let overrides: BTreeMap<String, String> = overrides
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let parameters = template.parameter_values(&overrides)?;
    let pseudo = pseudo_parameters("stack", "eu-west-1", "111122223333");
    let fake = Fake(made);
    let evaluator = Evaluator {
        template: &template,
        parameters: &parameters,
        pseudo: &pseudo,
        resources: &fake,
    };
    evaluator.eval_some(&template.resources[0].properties, "Thing")
}

#[test]
fn evaluates_short_and_long_forms() {
    let props = eval(SMALL, &[], true).unwrap();
    assert_eq!(
        props,
        json!({
            "Receives": 6,
            "Long": 2,
            "Name": "stack-x-111122223333",
            "Arn": "Other-Arn",
            "ArnList": "Other-Arn",
            "SubAttr": "Other-Arn/index/${Literal}",
            "SubVars": "other-ref-5",
            "Url": "https://Other-Domain",
            "Second": "b",
            "Joined": "x|y",
            "List": ["one", "two"],
        })
    );
}

#[test]
fn overrides_change_lookups_and_conditions() {
    let props = eval(
        SMALL,
        &[("Size", "1"), ("Base", "https://cdn.example")],
        true,
    )
    .unwrap();
    assert_eq!(props["Receives"], 2);
    assert_eq!(props["Url"], "https://cdn.example");
    assert_eq!(props["Gone"], "kept");
}

#[test]
fn bad_parameters_and_references_are_errors() {
    let code = |r: Result<Json, TemplateError>| r.unwrap_err().code();
    assert_eq!(
        code(eval(SMALL, &[("Nope", "1")], true)),
        "unknown_parameter"
    );
    assert_eq!(
        code(eval(SMALL, &[("Size", "7")], true)),
        "invalid_parameter"
    );
    assert_eq!(
        code(eval(SMALL, &[("Memory", "64")], true)),
        "invalid_parameter"
    );
    assert_eq!(code(eval(SMALL, &[], false)), "not_yet_created");
    let unknown = SMALL.replace("!GetAtt Other.Arn", "!GetAtt Missing.Arn");
    assert_eq!(code(eval(&unknown, &[], true)), "unknown_reference");
    let azs = SMALL.replace("!GetAtt Other.Arn", "!GetAZs \"\"");
    assert_eq!(code(eval(&azs, &[], true)), "unsupported_intrinsic");
    let resolve = SMALL.replace("!GetAtt Other.Arn", "\"{{resolve:ssm:/x}}\"");
    assert_eq!(code(eval(&resolve, &[], true)), "unsupported_intrinsic");
    let missing = SMALL.replace("[Table, !Ref Size, Receives]", "[Table, \"9\", Receives]");
    assert_eq!(code(eval(&missing, &[], true)), "invalid_value");
    assert_eq!(code(eval("a: [", &[], true)), "template_yaml");
}

#[test]
fn reads_pixpipe_template() {
    let template = Template::pixpipe().unwrap();
    let kinds: Vec<_> = template.resources.iter().map(|r| r.kind.as_str()).collect();
    assert!(kinds.contains(&"AWS::DynamoDB::Table"));
    assert!(kinds.contains(&"AWS::S3::BucketPolicy"));
    let source = template
        .resources
        .iter()
        .find(|r| r.name == "SourceBucket")
        .unwrap();
    assert_eq!(source.depends_on, ["UploadsQueuePolicy"]);
    let values = template.parameter_values(&BTreeMap::new()).unwrap();
    assert_eq!(values["MaxAttempts"], "5");
    assert_eq!(values["AllowedOrigins"], json!(["*"]));
    assert!(template.function_environment().is_some());
}
