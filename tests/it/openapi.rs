//! The committed `openapi.yaml` is the generated document, and the server
//! serves the same one. (The test script also validates it as OpenAPI 3.1.)

use serde_json::Value;

#[test]
fn committed_spec_matches_the_code() {
    let generated = pixpipe::openapi_yaml().unwrap();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"))
        .unwrap_or_default();
    if committed != generated {
        if std::env::var_os("PIXPIPE_BLESS").is_some() {
            std::fs::write(
                concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml"),
                &generated,
            )
            .unwrap();
        }
        panic!(
            "openapi.yaml is stale: run `cargo run -q -- openapi > openapi.yaml` (or set PIXPIPE_BLESS=1)"
        );
    }
}

#[test]
fn every_operation_is_documented() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            assert!(op["summary"].is_string(), "{id} has no summary");
            assert!(op["description"].is_string(), "{id} has no description");
            assert!(op["tags"][0].is_string(), "{id} has no tag");
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let problem = &response["content"]["application/problem+json"];
                    assert_eq!(
                        problem["schema"]["$ref"], "#/components/schemas/Problem",
                        "{id} {status} is not a problem+json Problem"
                    );
                    assert!(
                        problem["example"].is_object(),
                        "{id} {status} has no example"
                    );
                    let code = problem["example"]["code"].as_str().unwrap();
                    assert!(
                        response["description"].as_str().unwrap().contains(code),
                        "{id} {status}: the description does not name {code}"
                    );
                } else if let Some(json) = response["content"].get("application/json") {
                    let ok = !json["example"].is_null() || schema_example(&doc, &json["schema"]);
                    assert!(ok, "{id} {status} has no example");
                }
            }
            ops.push(format!("{method} {path}"));
        }
    }
    ops.sort();
    assert_eq!(
        ops,
        [
            "delete /v1/jobs/{id}",
            "get /healthz",
            "get /v1/jobs",
            "get /v1/jobs/{id}",
            "get /v1/presets",
            "post /v1/jobs"
        ]
    );
}

/// Whether `schema` (a `$ref`, or an array of one) points at a schema with an example.
fn schema_example(doc: &Value, schema: &Value) -> bool {
    let schema = if schema["type"] == "array" {
        &schema["items"]
    } else {
        schema
    };
    resolve(doc, schema)["example"].is_object()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => &doc["components"]["schemas"][r.trim_start_matches("#/components/schemas/")],
        None => schema,
    }
}

/// Properties and required names of an object schema, through `allOf`.
fn shape(doc: &Value, schema: &Value) -> (Vec<String>, Vec<String>) {
    let schema = resolve(doc, schema);
    let (mut props, mut required) = (Vec::new(), Vec::new());
    for part in schema["allOf"].as_array().into_iter().flatten() {
        let (p, r) = shape(doc, part);
        props.extend(p);
        required.extend(r);
    }
    props.extend(
        schema["properties"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k.clone()),
    );
    required.extend(
        schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_owned()),
    );
    (props, required)
}

#[test]
fn examples_match_their_schemas() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    let mut checked = 0;
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let bodies = op["responses"]
                .as_object()
                .unwrap()
                .values()
                .chain(op.get("requestBody"))
                .flat_map(|r| r["content"].as_object().into_iter().flatten())
                .map(|(_, media)| media);
            for media in bodies {
                let Some(example) = media["example"].as_object() else {
                    continue;
                };
                let (props, required) = shape(&doc, &media["schema"]);
                for key in example.keys() {
                    assert!(
                        props.contains(key),
                        "{}: example has unknown {key}",
                        op["operationId"]
                    );
                }
                for key in &required {
                    assert!(
                        example.contains_key(key),
                        "{}: example lacks {key}",
                        op["operationId"]
                    );
                }
                checked += 1;
            }
        }
    }
    assert!(checked >= 15, "only {checked} examples");
}

#[test]
fn schema_names_read_well_in_generated_code() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    let names: Vec<&String> = doc["components"]["schemas"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    for name in &names {
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric()),
            "schema name {name}"
        );
    }
    for wanted in [
        "Job",
        "JobStatus",
        "CreateJobRequest",
        "CreatedJob",
        "UploadInstructions",
        "VariantResult",
        "Problem",
        "JobPage",
    ] {
        assert!(
            names.iter().any(|n| *n == wanted),
            "no {wanted} schema in {names:?}"
        );
    }
    assert_eq!(doc["security"], serde_json::json!([{"api_key": []}]));
    let code = doc["components"]["schemas"]["Problem"]["properties"]["code"]["description"]
        .as_str()
        .unwrap();
    for c in pixpipe_api::Code::ALL {
        assert!(
            code.contains(&format!("`{}`", c.as_str())),
            "Problem.code does not list {}",
            c.as_str()
        );
    }
}

/// `JobError.code` lists exactly the codes of `FailureCode`'s table (the
/// README's list is held to the same table in pixpipe-core).
#[test]
fn job_error_codes_are_the_table() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    let code = &doc["components"]["schemas"]["JobError"]["properties"]["code"];
    assert_eq!(code["type"], "string");
    let listed: std::collections::BTreeSet<&str> = code["description"]
        .as_str()
        .unwrap()
        .lines()
        .filter_map(|row| row.strip_prefix("| `"))
        .filter_map(|row| row.split('`').next())
        .collect();
    let table: std::collections::BTreeSet<&str> = pixpipe_core::FailureCode::ALL
        .iter()
        .map(|c| c.as_str())
        .collect();
    assert_eq!(listed, table);
}

#[tokio::test(flavor = "multi_thread")]
async fn served_spec_is_the_generated_one() {
    let app = crate::common::spawn_app().await;
    let served: Value = app.get_json(app.url("/openapi.json")).await;
    assert_eq!(
        served,
        serde_json::to_value(pixpipe_api::openapi()).unwrap()
    );
}

/// Every object a request body may hold, nested ones included, is closed
/// (`additionalProperties: false`), as the server refuses unknown fields.
#[test]
fn request_objects_refuse_unknown_fields() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    let mut seen = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            for media in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flatten()
            {
                closed_objects(&doc, &media.1["schema"], &mut seen);
            }
        }
    }
    for wanted in ["CreateJobRequest", "VariantSpec", "WatermarkPlacement"] {
        assert!(
            seen.iter().any(|s| s == wanted),
            "{wanted} not reached: {seen:?}"
        );
    }
}

/// Walks `schema` (through `$ref`s, items and compositions), asserting that
/// each object with properties is closed; records the named schemas it reached.
fn closed_objects(doc: &Value, schema: &Value, seen: &mut Vec<String>) {
    if !schema.is_object() {
        return;
    }
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/").to_owned();
        if !seen.contains(&name) {
            seen.push(name);
            closed_objects(doc, resolve(doc, schema), seen);
        }
        return;
    }
    if let Some(props) = schema["properties"].as_object() {
        assert_eq!(
            schema["additionalProperties"], false,
            "an open object after {seen:?}: {schema}"
        );
        props.values().for_each(|p| closed_objects(doc, p, seen));
    }
    closed_objects(doc, &schema["items"], seen);
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            closed_objects(doc, part, seen);
        }
    }
}

/// The request schema states the bounds and choices the server enforces.
#[test]
fn request_schema_states_the_servers_bounds() {
    let doc = serde_json::to_value(pixpipe_api::openapi()).unwrap();
    let schemas = &doc["components"]["schemas"];
    let variant = &schemas["VariantSpec"]["properties"];
    let side = pixpipe_core::spec::MAX_VARIANT_SIDE;
    for (field, min, max) in [("width", 1, side), ("height", 1, side), ("quality", 1, 100)] {
        assert_eq!(variant[field]["minimum"], min, "{field}");
        assert_eq!(variant[field]["maximum"], max, "{field}");
    }
    assert_eq!(variant["name"]["maxLength"], 32);
    let request = &schemas["CreateJobRequest"]["properties"];
    let types: Vec<&str> = request["content_type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(types, pixpipe_core::service::ACCEPTED_TYPES);
    assert_eq!(request["content_length"]["type"], "integer");
    assert_eq!(request["content_length"]["minimum"], 0);
    assert_eq!(request["filename"]["maxLength"], 255);
    assert_eq!(
        request["callback_url"]["maxLength"],
        pixpipe_core::callback::MAX_CALLBACK_URL_LEN
    );
    assert_eq!(
        request["variants"]["maxItems"],
        pixpipe_core::spec::MAX_VARIANTS
    );
    let watermark = &schemas["WatermarkPlacement"]["properties"];
    assert_eq!(watermark["scale"]["exclusiveMinimum"], 0);
    assert_eq!(watermark["opacity"]["maximum"], 1);
}
