use serde_json::json;

use super::*;

/// A small OpenAPI document with the prose the real one has.
fn openapi_doc() -> Value {
    json!({
        "openapi": "3.0.0",
        "info": {"title": "T", "description": "prose", "version": "1.0", "contact": {"email": "x@y"}},
        "paths": {
            "/api/v1/things/{id}": {
                "get": {
                    "summary": "Get a thing",
                    "description": "Gets it.",
                    "operationId": "Things_Get",
                    "tags": ["Things"],
                    "parameters": [
                        {"name": "id", "in": "path", "required": true, "description": "The id.",
                         "schema": {"type": "string"}},
                        {"name": "kinds", "in": "query", "required": false, "explode": true,
                         "schema": {"type": "array", "items": {"type": "string", "enum": ["A", "B"]}}}
                    ],
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/v1Thing"}}}},
                        "default": {"description": "error", "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/rpcStatus"}}}}
                    }
                },
                "put": {
                    "operationId": "Things_Update",
                    "requestBody": {"$ref": "#/components/requestBodies/v1Thing"},
                    "responses": {"200": {"description": "ok"}}
                }
            }
        },
        "components": {
            "requestBodies": {"v1Thing": {"description": "x", "required": true, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/v1Thing"}}}}},
            "schemas": {
                "v1Thing": {
                    "type": "object",
                    "title": "A thing",
                    "description": "prose",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "title": "its name", "example": "n"},
                        "description": {"type": "string", "description": "a property named description"},
                        "title": {"type": "integer", "format": "int32"},
                        "labels": {"type": "object", "additionalProperties": {"type": "string", "description": "v"}},
                        "open": {"type": "object", "additionalProperties": true},
                        "count": {"type": "string", "format": "int64", "default": "0"}
                    }
                },
                "rpcStatus": {"type": "object", "properties": {"code": {"type": "integer"}}}
            }
        }
    })
}

#[test]
fn openapi_keeps_the_facts_and_drops_the_prose() {
    let mut dropped = Dropped::default();
    let c = openapi(&openapi_doc(), &mut dropped).unwrap();
    assert_eq!(c["openapi"], "3.0.0");
    assert_eq!(c["info"], json!({"title": "T", "version": "1.0"}));
    let get = &c["paths"]["/api/v1/things/{id}"]["get"];
    assert_eq!(
        get,
        &json!({
            "operationId": "Things_Get",
            "parameters": [
                {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                {"name": "kinds", "in": "query", "required": false, "explode": true,
                 "schema": {"type": "array", "items": {"type": "string", "enum": ["A", "B"]}}}
            ],
            "responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/v1Thing"}}}},
                "default": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/rpcStatus"}}}}
            }
        })
    );
    assert_eq!(
        c["paths"]["/api/v1/things/{id}"]["put"]["requestBody"],
        json!({"$ref": "#/components/requestBodies/v1Thing"})
    );
    assert_eq!(
        c["components"]["requestBodies"]["v1Thing"],
        json!({"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/v1Thing"}}}})
    );
    assert_eq!(
        c["components"]["schemas"]["v1Thing"],
        json!({
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "description": {"type": "string"},
                "title": {"type": "integer", "format": "int32"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "open": {"type": "object", "additionalProperties": true},
                "count": {"type": "string", "format": "int64", "default": "0"}
            }
        }),
        "properties named like prose keywords stay; prose goes"
    );
    let text = render(&c);
    for prose in [
        "prose",
        "Gets it",
        "Get a thing",
        "its name",
        "Things\"]",
        "x@y",
    ] {
        assert!(!text.contains(prose), "{prose} left in:\n{text}");
    }
    assert_eq!(dropped.0["schema.description"], 3);
    assert_eq!(dropped.0["schema.title"], 2);
    assert_eq!(dropped.0["schema.example"], 1);
    assert_eq!(dropped.0["operation.summary"], 1);
    assert_eq!(dropped.0["operation.tags"], 1);
    assert_eq!(dropped.0["response.description"], 3);
    assert_eq!(dropped.0["info.contact"], 1);
    assert!(dropped.summary().contains("schema.title ×2"));
}

#[test]
fn openapi_errors_name_the_path() {
    let mut doc = openapi_doc();
    doc["components"]["schemas"]["v1Thing"]["properties"]["name"] = json!("string");
    let e = openapi(&doc, &mut Dropped::default()).unwrap_err();
    assert_eq!(
        e,
        "components.schemas.v1Thing.properties.name: expected an object (schema), found a string"
    );
    let e = openapi(&json!({"swagger": "2.0"}), &mut Dropped::default()).unwrap_err();
    assert!(e.contains("not an OpenAPI document"), "{e}");
}

const CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  labels:
    app.kubernetes.io/part-of: argocd
  name: things.example.io
spec:
  group: example.io
  names:
    kind: Thing
    plural: things
    shortNames:
    - th
  scope: Namespaced
  versions:
  - additionalPrinterColumns:
    - jsonPath: .status.phase
      name: Phase
      type: string
    name: v1alpha1
    schema:
      openAPIV3Schema:
        description: |-
          A thing,
          in two lines.
        properties:
          spec:
            description: The spec
              folded over two lines.
            properties:
              limit:
                format: int64
                type: integer
              port:
                anyOf:
                - type: integer
                - type: string
                x-kubernetes-int-or-string: true
              values:
                type: object
                x-kubernetes-preserve-unknown-fields: true
              name:
                minLength: 1
                pattern: ^[a-z]+$
                type: string
                x-kubernetes-validations:
                - message: name is immutable
                  rule: self == oldSelf
            required:
            - name
            type: object
        required:
        - spec
        type: object
    served: true
    storage: true
    subresources:
      status: {}
"#;

#[test]
fn crd_keeps_names_and_schema_types() {
    let doc: Value = serde_yaml_ng::from_str(CRD).unwrap();
    let mut dropped = Dropped::default();
    let c = crd(&doc, &mut dropped).unwrap();
    assert_eq!(
        c,
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.example.io"},
            "spec": {
                "group": "example.io",
                "names": {"kind": "Thing", "plural": "things", "shortNames": ["th"]},
                "scope": "Namespaced",
                "versions": [{
                    "name": "v1alpha1",
                    "served": true,
                    "storage": true,
                    "subresources": {"status": {}},
                    "schema": {"openAPIV3Schema": {
                        "type": "object",
                        "required": ["spec"],
                        "properties": {"spec": {
                            "type": "object",
                            "required": ["name"],
                            "properties": {
                                "limit": {"type": "integer", "format": "int64"},
                                "port": {"anyOf": [{"type": "integer"}, {"type": "string"}],
                                         "x-kubernetes-int-or-string": true},
                                "values": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                                "name": {"type": "string", "minLength": 1, "pattern": "^[a-z]+$",
                                         "x-kubernetes-validations": [{"rule": "self == oldSelf"}]}
                            }
                        }}
                    }}
                }]
            }
        })
    );
    assert_eq!(dropped.0["schema.description"], 2);
    assert_eq!(dropped.0["version.additionalPrinterColumns"], 1);
    assert_eq!(dropped.0["x-kubernetes-validations.message"], 1);
    assert_eq!(dropped.0["metadata.labels"], 1);
    let e = crd(&json!({"kind": "Deployment"}), &mut dropped).unwrap_err();
    assert!(e.contains("not a CustomResourceDefinition"), "{e}");
}

#[test]
fn render_is_canonical_whatever_the_input_order() {
    let a: Value = serde_json::from_str(r#"{"b": 1, "a": {"y": [1, 2], "x": "s"}}"#).unwrap();
    let b: Value = serde_json::from_str(r#"{"a": {"x": "s", "y": [1, 2]}, "b": 1}"#).unwrap();
    assert_eq!(render(&a), render(&b));
    assert_eq!(
        render(&a),
        "{\"a\": {\"x\": \"s\", \"y\": [1, 2]}, \"b\": 1}\n"
    );
    // Too long for one line: spread, and each part on one line where it fits.
    let long = "x".repeat(60);
    let v = json!({"k": {"first": long, "second": long}, "e": {}, "l": []});
    let text = render(&v);
    assert_eq!(
        text,
        format!(
            "{{\n \"e\": {{}},\n \"k\": {{\n  \"first\": \"{long}\",\n  \"second\": \"{long}\"\n }},\n \"l\": []\n}}\n"
        )
    );
    let back: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(back, v);
    // The real document's contract renders the same twice and parses back to itself.
    let c = openapi(&openapi_doc(), &mut Dropped::default()).unwrap();
    let text = render(&c);
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), c);
    assert_eq!(render(&serde_json::from_str(&text).unwrap()), text);
}

#[test]
fn diff_names_each_path() {
    let committed = json!({"paths": {"/a/{id}": {"get": {"parameters": [
        {"name": "id", "required": true}, {"name": "q", "required": false}]}}}, "gone": 1});
    let expected = json!({"paths": {"/a/{id}": {"get": {"parameters": [
        {"name": "id", "required": true}, {"name": "q", "required": true}]}}}, "new": [1]});
    let mut out = Vec::new();
    diff("", &committed, &expected, &mut out);
    assert_eq!(
        out,
        vec![
            "gone: in the contract (1), not in the document",
            "new: in the document ([1]), not in the contract",
            "paths[\"/a/{id}\"].get.parameters[1].required: the contract has false, the document true",
        ]
    );
    let mut out = Vec::new();
    diff("", &json!([1]), &json!([1, 2]), &mut out);
    assert_eq!(
        out,
        vec!["the document: the contract has [1], the document [1, 2]"]
    );
}

/// Writes the documents of [`SOURCES`] into a folder: the small OpenAPI document and three
/// copies of the small CRD.
fn documents() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("argocd")).unwrap();
    for s in SOURCES {
        let text = match s.kind {
            Kind::OpenApi => serde_json::to_string_pretty(&openapi_doc()).unwrap(),
            Kind::Crd => CRD.to_string(),
        };
        std::fs::write(dir.path().join(s.document), text).unwrap();
    }
    dir
}

#[test]
fn extract_then_check_agrees_and_check_finds_each_kind_of_change() {
    let docs = documents();
    let out = tempfile::tempdir().unwrap();
    let dropped = extract(docs.path(), out.path()).unwrap();
    assert!(dropped.0.contains_key("schema.description"));
    for s in SOURCES {
        assert!(
            out.path().join(s.contract).is_file(),
            "{} written",
            s.contract
        );
    }
    assert_eq!(
        check(docs.path(), out.path()).unwrap(),
        Vec::<String>::new()
    );

    // A newer document: a parameter became required.
    let mut doc = openapi_doc();
    doc["paths"]["/api/v1/things/{id}"]["get"]["parameters"][1]["required"] = json!(true);
    std::fs::write(
        docs.path().join("harness-gitops-openapi.json"),
        doc.to_string(),
    )
    .unwrap();
    assert_eq!(
        check(docs.path(), out.path()).unwrap(),
        vec!["contract/harness-gitops-openapi.json: paths[\"/api/v1/things/{id}\"].get.parameters[1].required: the contract has false, the document true"]
    );
    // A prose-only change in the document changes nothing.
    extract(docs.path(), out.path()).unwrap();
    doc["components"]["schemas"]["v1Thing"]["description"] = json!("other prose");
    std::fs::write(
        docs.path().join("harness-gitops-openapi.json"),
        doc.to_string(),
    )
    .unwrap();
    assert!(check(docs.path(), out.path()).unwrap().is_empty());

    // A CRD field's type changed.
    let changed = CRD.replace(
        "format: int64\n                type: integer",
        "type: string",
    );
    std::fs::write(docs.path().join("argocd/appproject-crd.yaml"), changed).unwrap();
    let found = check(docs.path(), out.path()).unwrap();
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with(
        "contract/argocd/appproject-crd.json: spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.limit.format: in the contract"
    ), "{found:#?}");
    assert!(
        found[1].ends_with("limit.type: the contract has \"integer\", the document \"string\""),
        "{found:#?}"
    );
    extract(docs.path(), out.path()).unwrap();

    // The committed file hand-edited into another layout, same content.
    let file = out.path().join("argocd/application-crd.json");
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    std::fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    assert_eq!(
        check(docs.path(), out.path()).unwrap(),
        vec!["contract/argocd/application-crd.json: same content, but not in the canonical form `extract` writes"]
    );
    // A missing contract file.
    std::fs::remove_file(&file).unwrap();
    let found = check(docs.path(), out.path()).unwrap();
    assert!(
        found[0].starts_with("contract/argocd/application-crd.json: cannot read it"),
        "{found:#?}"
    );
    // A missing document is an error, not a difference.
    std::fs::remove_file(docs.path().join("argocd/applicationset-crd.yaml")).unwrap();
    let e = check(docs.path(), out.path()).unwrap_err();
    assert!(e.contains("applicationset-crd.yaml"), "{e}");
}

/// The committed contract (the repository's `contract/`): canonical, without prose, and with
/// what the conformance tests and the next resources need.
#[test]
fn the_committed_contract_is_canonical_and_has_no_prose() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contract");
    for s in SOURCES {
        let path = root.join(s.contract);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{} is committed: {e}", path.display()));
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(render(&v) == text, "{} is canonical", s.contract);
        // Extracting the contract again changes nothing and drops nothing: no prose is left.
        let mut dropped = Dropped::default();
        let again = match s.kind {
            Kind::OpenApi => openapi(&v, &mut dropped),
            Kind::Crd => crd(&v, &mut dropped),
        }
        .unwrap();
        assert!(
            again == v,
            "{} is a fixed point of the extraction",
            s.contract
        );
        assert!(
            dropped.0.is_empty(),
            "{} has keywords the extraction drops: {}",
            s.contract,
            dropped.summary()
        );
        assert!(
            text.len() < 1_000_000,
            "{} stays small: {}",
            s.contract,
            text.len()
        );
        match s.kind {
            Kind::OpenApi => {
                for path in [
                    "/api/v1/agents/{agentIdentifier}/repositories",
                    "/api/v1/agents/{agentIdentifier}/clusters",
                    "/api/v1/agents/{agentIdentifier}/applications",
                    "/api/v1/agents",
                ] {
                    assert!(v["paths"][path].is_object(), "{path} in the contract");
                }
                assert!(
                    v["components"]["schemas"]["servicev1Repository"]["properties"].is_object()
                );
            }
            Kind::Crd => {
                let props = &v["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"];
                assert!(
                    props["spec"]["properties"].is_object(),
                    "{} has its spec",
                    s.contract
                );
            }
        }
    }
}
