//! Tests of the data_protection module: documents both ways, offline checks and their rendered messages.

use marked_yaml::LoaderOptions;
use serde::Deserialize;
use serde_json::{json, Value};

use super::*;
use crate::source::{Diagnostic, SourceFile};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Block {
    data_protection: DataProtectionSpec,
}

fn parse(yaml: &str) -> (SourceFile, DataProtectionSpec) {
    let source = SourceFile::new("spec.yaml", yaml);
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let block: Block = marked_yaml::from_yaml_with_options(0, yaml, options)
        .unwrap_or_else(|e| panic!("test YAML does not parse: {e}"));
    (source, block.data_protection)
}

fn diagnostics(yaml: &str) -> Vec<Diagnostic> {
    let (source, spec) = parse(yaml);
    check(&spec, &source, "log_groups[0].data_protection")
}

/// Every diagnostic, rendered as a user sees it.
fn rendered(yaml: &str) -> String {
    let (source, spec) = parse(yaml);
    check(&spec, &source, "log_groups[0].data_protection")
        .iter()
        .map(|d| d.render(&source, false))
        .collect::<Vec<_>>()
        .join("\n")
}

fn props(yaml: &str) -> Value {
    let (source, spec) = parse(yaml);
    let found = check(&spec, &source, "data_protection");
    assert!(found.is_empty(), "unexpected findings: {found:?}");
    desired_props(&spec, &|s: &str| {
        s.replace("{account}", "111122223333")
            .replace("{region}", "eu-west-1")
    })
}

fn document(yaml: &str, partition: &str) -> Value {
    serde_json::from_str(&build_document(&props(yaml), partition)).unwrap()
}

// ---------------------------------------------------------------------------------------
// Parsing the block

#[test]
fn mask_reads_booleans_text_and_lists() {
    let mask = |yaml: &str| parse(yaml).1.mask.map(|m| m.get().clone());
    let head = "data_protection:\n  identifiers: [EmailAddress]\n";
    assert_eq!(mask(head), None);
    assert_eq!(
        mask(&format!("{head}  mask: true\n")),
        Some(Mask::All(true))
    );
    assert_eq!(
        mask(&format!("{head}  mask: false\n")),
        Some(Mask::All(false))
    );
    assert_eq!(
        mask(&format!("{head}  mask: \"TRUE\"\n")),
        Some(Mask::All(true))
    );
    assert_eq!(
        mask(&format!("{head}  mask: [EmailAddress]\n")),
        Some(Mask::Only(vec!["EmailAddress".into()]))
    );
    assert_eq!(
        mask(&format!(
            "{head}  mask:\n    - EmailAddress\n    - IpAddress\n"
        )),
        Some(Mask::Only(vec!["EmailAddress".into(), "IpAddress".into()]))
    );

    // Plain serde (JSON) hands over real booleans.
    let from_json: Mask = serde_json::from_value(json!(false)).unwrap();
    assert_eq!(from_json, Mask::All(false));
    let from_json: Mask = serde_json::from_value(json!(["A"])).unwrap();
    assert_eq!(from_json, Mask::Only(vec!["A".into()]));
}

#[test]
fn a_single_name_is_not_a_mask_setting() {
    let yaml = "data_protection:\n  identifiers: [EmailAddress]\n  mask: EmailAddress\n";
    let options = LoaderOptions::default().prevent_coercion(true);
    let error = marked_yaml::from_yaml_with_options::<Block>(0, yaml, options)
        .err()
        .expect("a bare name is refused")
        .to_string();
    assert!(
        error.contains("`EmailAddress` is not a mask setting") && error.contains("[EmailAddress]"),
        "{error}"
    );
}

#[test]
fn unknown_fields_are_refused() {
    let yaml = "data_protection:\n  identifiers: [EmailAddress]\n  findings:\n    loggroup: x\n";
    let options = LoaderOptions::default().prevent_coercion(true);
    let error = marked_yaml::from_yaml_with_options::<Block>(0, yaml, options).err();
    assert!(error.is_some());
}

#[test]
fn the_schema_lists_the_catalog_and_mask_forms() {
    let schema = serde_json::to_value(schemars::schema_for!(DataProtectionSpec)).unwrap();
    let text = schema.to_string();
    assert!(text.contains("\"OpenSshPrivateKey\""));
    assert!(text.contains("\"DriversLicense-US\""));
    let mask = schema.pointer("/$defs/Mask/oneOf").expect("Mask is oneOf");
    assert_eq!(mask[0]["type"], "boolean");
    assert_eq!(mask[1]["type"], "array");
    assert!(schema.pointer("/properties/findings").is_some());
}

// ---------------------------------------------------------------------------------------
// Normalized properties

#[test]
fn desired_props_have_the_documented_shape() {
    let p = props(
        r#"data_protection:
  identifiers: [IpAddress, EmailAddress]
  custom_identifiers:
    - name: EmployeeId
      regex: 'EMP-\d{6}'
  findings:
    s3_bucket: findings-{account}-{region}
"#,
    );
    assert_eq!(
        p,
        json!({
            "name": "warden-data-protection",
            "identifiers": {"EmailAddress": true, "IpAddress": true},
            "custom_identifiers": {"EmployeeId": r"EMP-\d{6}"},
            "findings": {"log_group": null, "s3_bucket": "findings-111122223333-eu-west-1", "firehose": null},
            "mask": {"EmailAddress": true, "EmployeeId": true, "IpAddress": true},
        })
    );
    // Canonical text: keys in a fixed order whatever the spec's order.
    let reordered = props(
        r#"data_protection:
  findings:
    s3_bucket: findings-{account}-{region}
  custom_identifiers:
    - regex: 'EMP-\d{6}'
      name: EmployeeId
  identifiers: [EmailAddress, IpAddress]
  mask: true
"#,
    );
    assert_eq!(p.to_string(), reordered.to_string());
}

#[test]
fn a_full_mask_list_equals_mask_true() {
    let listed = props(
        "data_protection:\n  identifiers: [EmailAddress, IpAddress]\n  mask: [IpAddress, EmailAddress]\n",
    );
    let default = props("data_protection:\n  identifiers: [EmailAddress, IpAddress]\n");
    assert_eq!(listed, default);
}

// ---------------------------------------------------------------------------------------
// Building documents

#[test]
fn document_with_managed_identifiers_only() {
    let yaml =
        "data_protection:\n  identifiers: [IpAddress, EmailAddress]\n  name: bedrock-invocations\n";
    assert_eq!(
        build_document(&props(yaml), "aws"),
        concat!(
            r#"{"Name":"bedrock-invocations","Version":"2021-06-01","Statement":["#,
            r#"{"Sid":"audit","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress","arn:aws:dataprotection::aws:data-identifier/IpAddress"],"Operation":{"Audit":{"FindingsDestination":{}}}},"#,
            r#"{"Sid":"mask","DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress","arn:aws:dataprotection::aws:data-identifier/IpAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}"#
        )
    );
}

#[test]
fn document_uses_the_partition() {
    let doc = document(
        "data_protection:\n  identifiers: [AwsSecretKey]\n",
        "aws-cn",
    );
    assert_eq!(
        doc["Statement"][0]["DataIdentifier"],
        json!(["arn:aws-cn:dataprotection::aws:data-identifier/AwsSecretKey"])
    );
    assert_eq!(doc["Name"], "warden-data-protection");
}

#[test]
fn document_with_custom_identifiers() {
    let doc = document(
        r#"data_protection:
  identifiers: [EmailAddress]
  custom_identifiers:
    - { name: EmployeeId, regex: 'EMP-\d{6}' }
    - { name: BadgeId, regex: 'B[0-9]{4}' }
"#,
        "aws",
    );
    assert_eq!(
        doc["Configuration"],
        json!({"CustomDataIdentifier": [
            {"Name": "BadgeId", "Regex": "B[0-9]{4}"},
            {"Name": "EmployeeId", "Regex": r"EMP-\d{6}"},
        ]})
    );
    let expected = json!([
        "arn:aws:dataprotection::aws:data-identifier/EmailAddress",
        "BadgeId",
        "EmployeeId"
    ]);
    assert_eq!(doc["Statement"][0]["DataIdentifier"], expected);
    assert_eq!(doc["Statement"][1]["DataIdentifier"], expected);
}

#[test]
fn document_with_each_findings_destination() {
    let head = "data_protection:\n  identifiers: [EmailAddress]\n  findings:\n    external: true\n";
    let destination = |yaml: &str| {
        document(&format!("{head}{yaml}"), "aws")["Statement"][0]["Operation"]["Audit"]
            ["FindingsDestination"]
            .clone()
    };
    assert_eq!(
        destination("    log_group: /aws/bedrock/findings\n"),
        json!({"CloudWatchLogs": {"LogGroup": "/aws/bedrock/findings"}})
    );
    assert_eq!(
        destination("    s3_bucket: findings-{account}\n"),
        json!({"S3": {"Bucket": "findings-111122223333"}})
    );
    assert_eq!(
        destination("    firehose: findings-stream\n"),
        json!({"Firehose": {"DeliveryStream": "findings-stream"}})
    );
    assert_eq!(
        destination("    log_group: /f\n    s3_bucket: b-{region}\n    firehose: s\n"),
        json!({
            "CloudWatchLogs": {"LogGroup": "/f"},
            "S3": {"Bucket": "b-eu-west-1"},
            "Firehose": {"DeliveryStream": "s"},
        })
    );
}

#[test]
fn document_with_a_mask_subset() {
    // The checks refuse a subset (AWS wants both lists equal), but live policies made in the
    // console may have one: the document builder and reader must still represent it.
    let p = json!({
        "name": "p",
        "identifiers": {"EmailAddress": true, "IpAddress": true},
        "custom_identifiers": {"EmployeeId": r"EMP-\d{6}"},
        "findings": {"log_group": null, "s3_bucket": null, "firehose": null},
        "mask": {"EmployeeId": true, "IpAddress": true},
    });
    let doc: Value = serde_json::from_str(&build_document(&p, "aws")).unwrap();
    assert_eq!(
        doc["Statement"][0]["DataIdentifier"],
        json!([
            "arn:aws:dataprotection::aws:data-identifier/EmailAddress",
            "arn:aws:dataprotection::aws:data-identifier/IpAddress",
            "EmployeeId"
        ])
    );
    assert_eq!(
        doc["Statement"][1]["DataIdentifier"],
        json!([
            "arn:aws:dataprotection::aws:data-identifier/IpAddress",
            "EmployeeId"
        ])
    );
    assert_eq!(normalize_document(&build_document(&p, "aws")).unwrap(), p);
}

#[test]
fn documents_are_stable_and_round_trip() {
    let specs = [
        "data_protection:\n  identifiers: [EmailAddress]\n",
        "data_protection:\n  identifiers: [CreditCardNumber, DriversLicense-US, OpenSshPrivateKey]\n  name: x_y-z\n",
        "data_protection:\n  custom_identifiers:\n    - { name: EmployeeId, regex: 'EMP-\\d{6}' }\n  findings:\n    external: true\n    firehose: s\n",
        "data_protection:\n  identifiers: [IpAddress, AwsSecretKey]\n  custom_identifiers:\n    - { name: Ticket, regex: 'T-[A-Z]{3}-\\d+' }\n  findings:\n    external: true\n    log_group: /findings/{region}\n    s3_bucket: findings-{account}\n",
    ];
    for yaml in specs {
        let p = props(yaml);
        for partition in ["aws", "aws-cn", "aws-us-gov"] {
            let text = build_document(&p, partition);
            assert_eq!(
                text,
                build_document(&p, partition),
                "same props, same bytes"
            );
            assert!(text.chars().count() <= MAX_DOCUMENT_CHARS);
            assert_eq!(
                normalize_document(&text).unwrap(),
                p,
                "round trip of {yaml}"
            );
        }
    }
}

#[test]
fn the_largest_valid_document_fits_the_api_limit() {
    // Every managed identifier plus the maximum of custom identifiers at maximum length:
    // the size check is defensive with today's catalog. The limit is checked anyway.
    let mut yaml = String::from("data_protection:\n  identifiers:\n");
    for name in catalog::all() {
        yaml.push_str(&format!("    - {name}\n"));
    }
    yaml.push_str("  custom_identifiers:\n");
    for i in 0..MAX_CUSTOM_IDENTIFIERS {
        let name = format!("{i}{}", "N".repeat(MAX_CUSTOM_NAME_CHARS - 1));
        let regex = format!("{i}{}", "\\d".repeat((MAX_CUSTOM_REGEX_CHARS - 1) / 2));
        yaml.push_str(&format!("    - name: {name}\n      regex: '{regex}'\n"));
    }
    let (source, spec) = parse(&yaml);
    assert!(check(&spec, &source, "data_protection").is_empty());
    let size = build_document(&desired_props(&spec, &|s: &str| s.to_string()), "aws-iso-b")
        .chars()
        .count();
    assert!(size < MAX_DOCUMENT_CHARS, "{size}");
}

#[test]
fn a_document_over_the_limit_is_refused_at_its_first_identifier() {
    let yaml = "data_protection:\n  identifiers: [EmailAddress, IpAddress, AwsSecretKey]\n  findings:\n    log_group: /aws/bedrock/findings\n";
    let (source, spec) = parse(yaml);
    let fits = super::checks::check_size(
        &spec,
        &source,
        "log_groups[0].data_protection",
        MAX_DOCUMENT_CHARS,
    );
    assert!(fits.is_empty());
    let found = super::checks::check_size(&spec, &source, "log_groups[0].data_protection", 300);
    assert_eq!(found.len(), 1);
    let shown = found[0].render(&source, false);
    assert!(shown.contains("log_groups[0].data_protection"), "{shown}");
    assert!(
        shown.contains("the policy document would be about"),
        "{shown}"
    );
    assert!(shown.contains("Logs accepts 300"), "{shown}");
    assert!(shown.contains("spec.yaml:2:17"), "{shown}");
    assert!(shown.contains("audit fewer identifiers"), "{shown}");
}

// ---------------------------------------------------------------------------------------
// Reading live documents

fn expected_live() -> Value {
    json!({
        "name": "bedrock-invocations",
        "identifiers": {"AwsSecretKey": true, "DriversLicense-US": true, "EmailAddress": true},
        "custom_identifiers": {"EmployeeId": r"EMP-\d{6}"},
        "findings": {"log_group": "/aws/bedrock/findings", "s3_bucket": "findings-bucket", "firehose": null},
        "mask": {"AwsSecretKey": true, "DriversLicense-US": true, "EmailAddress": true, "EmployeeId": true},
    })
}

#[test]
fn reads_a_pretty_printed_console_style_document() {
    let live = r#"{
      "Name": "bedrock-invocations",
      "Description": "made in the console",
      "Version": "2021-06-01",
      "Configuration": {
        "CustomDataIdentifier": [ { "Name": "EmployeeId", "Regex": "EMP-\\d{6}" } ]
      },
      "Statement": [
        {
          "Sid": "audit-policy",
          "DataIdentifier": [
            "arn:aws:dataprotection::aws:data-identifier/EmailAddress",
            "EmployeeId",
            "arn:aws:dataprotection::aws:data-identifier/DriversLicense-US",
            "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey"
          ],
          "Operation": {
            "Audit": {
              "FindingsDestination": {
                "S3": { "Bucket": "findings-bucket" },
                "CloudWatchLogs": { "LogGroup": "/aws/bedrock/findings" }
              }
            }
          }
        },
        {
          "Sid": "redact-policy",
          "DataIdentifier": [
            "arn:aws:dataprotection::aws:data-identifier/AwsSecretKey",
            "arn:aws:dataprotection::aws:data-identifier/DriversLicense-US",
            "EmployeeId",
            "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
          ],
          "Operation": { "Deidentify": { "MaskConfig": {} } }
        }
      ]
    }"#;
    assert_eq!(normalize_document(live).unwrap(), expected_live());
}

#[test]
fn layout_partition_and_key_case_never_matter() {
    // Compact, keys reordered, statements reversed, China partition, a CloudFormation
    // partition template, a bare managed name, lowercase keys (older CDK), ARN destinations.
    let live = concat!(
        r#"{"statement":[{"operation":{"deidentify":{"maskConfig":{}}},"dataIdentifier":["EmployeeId","#,
        r#""arn:${AWS::Partition}:dataprotection::aws:data-identifier/EmailAddress","AwsSecretKey","#,
        r#""arn:aws-cn:dataprotection::aws:data-identifier/DriversLicense-US"],"sid":"r"},"#,
        r#"{"dataIdentifier":["arn:${Partition}:dataprotection::aws:data-identifier/DriversLicense-US","#,
        r#""arn:aws-cn:dataprotection::aws:data-identifier/AwsSecretKey","EmployeeId","#,
        r#""arn:aws-cn:dataprotection::aws:data-identifier/EmailAddress"],"#,
        r#""operation":{"audit":{"findingsDestination":{"cloudWatchLogs":{"logGroup":"arn:aws-cn:logs:cn-north-1:111122223333:log-group:/aws/bedrock/findings:*"},"#,
        r#""s3":{"bucket":"arn:aws-cn:s3:::findings-bucket"}}}}}],"#,
        r#""configuration":{"customDataIdentifier":[{"regex":"EMP-\\d{6}","name":"EmployeeId"}]},"#,
        r#""version":"2021-06-01","name":"bedrock-invocations"}"#
    );
    assert_eq!(normalize_document(live).unwrap(), expected_live());
}

#[test]
fn built_and_live_documents_compare_equal_across_partitions() {
    let p = expected_live();
    let aws = normalize_document(&build_document(&p, "aws")).unwrap();
    let china = normalize_document(&build_document(&p, "aws-cn")).unwrap();
    assert_eq!(aws, china);
    assert_eq!(aws, p);
}

#[test]
fn reads_firehose_destinations_and_missing_parts() {
    let live = r#"{"Name":"n","Statement":[
        {"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/IpAddress"],
         "Operation":{"Audit":{"FindingsDestination":{"Firehose":{"DeliveryStream":"arn:aws:firehose:us-east-1:111122223333:deliverystream/findings"}}}}},
        {"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/IpAddress"],
         "Operation":{"Deidentify":{"MaskConfig":{}}}}]}"#;
    let p = normalize_document(live).unwrap();
    assert_eq!(p["findings"]["firehose"], "findings");
    assert_eq!(p["mask"], json!({"IpAddress": true}));

    let no_destination = r#"{"Statement":[{"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/IpAddress"],"Operation":{"Audit":{}}}]}"#;
    let p = normalize_document(no_destination).unwrap();
    assert_eq!(p["name"], Value::Null);
    assert_eq!(p["mask"], json!({}));
    assert_eq!(
        p["findings"],
        json!({"log_group": null, "s3_bucket": null, "firehose": null})
    );
}

#[test]
fn unknown_shapes_are_typed_errors() {
    let audit = r#"{"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/IpAddress"],"Operation":{"Audit":{"FindingsDestination":{}}}}"#;
    let with = |statements: &str| format!(r#"{{"Name":"n","Statement":[{statements}]}}"#);
    assert!(matches!(
        normalize_document("{"),
        Err(DocumentError::Json(_))
    ));
    assert!(matches!(
        normalize_document("[]"),
        Err(DocumentError::Shape { .. })
    ));
    assert_eq!(normalize_document(&with("")), Err(DocumentError::NoAudit));
    assert_eq!(
        normalize_document(&with(&format!("{audit},{audit}"))),
        Err(DocumentError::SeveralAudits(2))
    );
    assert_eq!(
        normalize_document(&with(&format!(
            r#"{audit},{{"DataIdentifier":["x"],"Operation":{{"Deny":{{}}}}}}"#
        ))),
        Err(DocumentError::UnknownOperation {
            index: 1,
            operation: "Deny".into()
        })
    );
    assert_eq!(
        normalize_document(&with(
            r#"{"DataIdentifier":["arn:aws:macie2::aws:thing/X"],"Operation":{"Audit":{}}}"#
        )),
        Err(DocumentError::UnknownIdentifier(
            "arn:aws:macie2::aws:thing/X".into()
        ))
    );
    assert_eq!(
        normalize_document(&with(
            r#"{"DataIdentifier":["IpAddress"],"Operation":{"Audit":{"FindingsDestination":{"Sns":{"Topic":"t"}}}}}"#
        )),
        Err(DocumentError::UnknownDestination("Sns".into()))
    );
    assert_eq!(
        normalize_document(&with(
            r#"{"Effect":"Deny","DataIdentifier":["IpAddress"],"Operation":{"Audit":{}}}"#
        )),
        Err(DocumentError::UnknownField("Statement[0].Effect".into()))
    );
    assert_eq!(
        normalize_document(&with(r#"{"DataIdentifier":"IpAddress"}"#)),
        Err(DocumentError::Shape {
            path: "Statement[0].Operation".into(),
            expected: "an object with `Audit` or `Deidentify`"
        })
    );
    let message = normalize_document(&with(&format!("{audit},{audit}")))
        .unwrap_err()
        .to_string();
    assert_eq!(
        message,
        "the data-protection policy has 2 Audit statements; CloudWatch Logs allows one"
    );
}

// ---------------------------------------------------------------------------------------
// Differences in plain words

#[test]
fn describes_differences_as_identifiers_and_settings() {
    let before = expected_live();
    let mut after = expected_live();
    after["identifiers"] = json!({"AwsSecretKey": true, "EmailAddress": true, "IpAddress": true});
    after["mask"] =
        json!({"AwsSecretKey": true, "EmailAddress": true, "EmployeeId": true, "IpAddress": true});
    after["custom_identifiers"] = json!({"EmployeeId": r"EMP-\d{7}"});
    after["findings"]["s3_bucket"] = Value::Null;
    after["findings"]["firehose"] = json!("stream");
    assert_eq!(
        describe_differences(&before, &after),
        vec![
            "- DriversLicense-US: no longer audited or masked",
            r"~ custom identifier EmployeeId: regex `EMP-\d{6}` → `EMP-\d{7}`",
            "+ IpAddress: audited and masked",
            "findings S3 bucket: findings-bucket → (none)",
            "findings Firehose stream: (none) → stream",
        ]
    );
    assert!(describe_differences(&before, &before).is_empty());

    let mut unmasked = expected_live();
    unmasked["mask"] = json!({"AwsSecretKey": true, "EmailAddress": true, "EmployeeId": true});
    assert_eq!(
        describe_differences(&unmasked, &before),
        vec!["~ DriversLicense-US: now masked"]
    );
    assert_eq!(
        describe_differences(&before, &Value::Null),
        vec!["remove data-protection policy `bedrock-invocations` (new log events are no longer audited or masked)"]
    );
    let created = describe_differences(&Value::Null, &before);
    assert!(created.contains(&"+ EmailAddress: audited and masked".to_string()));
    assert!(created.contains(
        &r"+ custom identifier EmployeeId (`EMP-\d{6}`): audited and masked".to_string()
    ));
}

// ---------------------------------------------------------------------------------------
// Offline checks

#[test]
fn a_good_block_has_no_findings() {
    let found = diagnostics(
        r#"data_protection:
  name: bedrock-invocations
  identifiers: [EmailAddress, IpAddress, AwsSecretKey, CreditCardNumber, DriversLicense-US]
  custom_identifiers:
    - name: EmployeeId
      regex: 'EMP-\d{6}|CON-\d{4}'
  findings:
    log_group: /aws/bedrock/findings/{region}
    s3_bucket: bedrock-findings-{account}-{region}
    firehose: findings_stream.1
  mask: true
"#,
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn snapshot_misspelt_managed_identifier() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers: [EmailAddress, OpenSSHPrivateKey]\n"
    ));
}

#[test]
fn snapshot_identifier_needing_a_country_code_and_duplicates() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers:\n    - PhoneNumber\n    - EmailAddress\n    - EmailAddress\n    - arn:aws:dataprotection::aws:data-identifier/IpAddress\n    - Zzzzz\n"
    ));
}

#[test]
fn snapshot_invalid_regex() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers: [EmailAddress]\n  custom_identifiers:\n    - name: EmployeeId\n      regex: 'EMP-\\d{6'\n"
    ));
}

#[test]
fn snapshot_custom_identifier_rules() {
    insta::assert_snapshot!(rendered(
        r#"data_protection:
  custom_identifiers:
    - name: EmailAddress
      regex: 'x@y'
    - name: Employee Id
      regex: '(EMP|CON)-\d{6}'
    - name: Ticket
      regex: ''
"#
    ));
}

#[test]
fn too_many_or_too_long_custom_identifiers() {
    let mut yaml = String::from("data_protection:\n  custom_identifiers:\n");
    for i in 0..=MAX_CUSTOM_IDENTIFIERS {
        yaml.push_str(&format!("    - {{ name: Id{i}, regex: 'A{i}' }}\n"));
    }
    yaml.push_str(&format!(
        "    - {{ name: Long, regex: '{}' }}\n",
        "a".repeat(201)
    ));
    yaml.push_str(&format!(
        "    - {{ name: {}, regex: 'a' }}\n",
        "N".repeat(129)
    ));
    let found = diagnostics(&yaml);
    let messages: Vec<&str> = found.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(found.len(), 3, "{messages:#?}");
    assert!(messages[0].contains("at most 10 custom identifiers; this block has 13"));
    assert_eq!(
        found[0].field.as_deref(),
        Some("log_groups[0].data_protection.custom_identifiers[10]")
    );
    assert!(messages[1].contains("the regex is 201 characters; CloudWatch Logs allows 200"));
    assert!(messages[2].contains("is not a valid custom identifier name"));
}

#[test]
fn snapshot_mask_false() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers: [EmailAddress, IpAddress]\n  mask: false\n"
    ));
}

#[test]
fn snapshot_mask_list_problems() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers: [EmailAddress, IpAddress]\n  mask: [EmailAdress]\n"
    ));
}

#[test]
fn snapshot_mask_subset() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  identifiers: [EmailAddress, IpAddress, AwsSecretKey]\n  mask: [EmailAddress]\n"
    ));
}

#[test]
fn snapshot_nothing_audited_and_findings_problems() {
    insta::assert_snapshot!(rendered(
        "data_protection:\n  findings:\n    external: true\n  mask: true\n  name: my policy\n"
    ));
}

#[test]
fn snapshot_destination_names() {
    insta::assert_snapshot!(rendered(
        r#"data_protection:
  identifiers: [EmailAddress]
  findings:
    log_group: /findings/{acount}
    s3_bucket: Findings_{account}
    firehose: arn:aws:firehose:us-east-1:111122223333:deliverystream/x
"#
    ));
}

#[test]
fn empty_mask_list_and_bucket_rules() {
    let found = diagnostics("data_protection:\n  identifiers: [EmailAddress]\n  mask: []\n");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].message, "`mask` lists no identifier");

    let bucket = |name: &str| {
        diagnostics(&format!(
            "data_protection:\n  identifiers: [EmailAddress]\n  findings:\n    external: true\n    s3_bucket: '{name}'\n"
        ))
        .into_iter()
        .map(|d| d.message)
        .collect::<Vec<_>>()
    };
    assert!(bucket("ok-bucket.{region}").is_empty());
    assert!(bucket("ab")[0].contains("3-63 characters"));
    assert!(bucket("a..b")[0].contains("`..`"));
    assert!(bucket("-ab")[0].contains("start and end"));
    assert!(bucket("192.168.1.1")[0].contains("IP address"));
    assert!(bucket("xn--abc")[0].contains("reserves"));
}

#[test]
fn snapshot_destinations_not_in_the_spec() {
    let yaml = "data_protection:\n  identifiers: [EmailAddress]\n  findings:\n    log_group: /aws/bedrock/finding\n    s3_bucket: findings-{account}\n";
    let (source, spec) = parse(yaml);
    let known = KnownDestinations {
        log_groups: vec![
            "/aws/bedrock/findings".into(),
            "/aws/bedrock/invocations".into(),
        ],
        ..KnownDestinations::default()
    };
    let found = check_destinations(&spec, &source, "log_groups[0].data_protection", &known);
    insta::assert_snapshot!(found
        .iter()
        .map(|d| d.render(&source, false))
        .collect::<Vec<_>>()
        .join("\n"));

    let external = yaml.replace("findings:\n", "findings:\n    external: true\n");
    let (source, spec) = parse(&external);
    assert!(check_destinations(&spec, &source, "x", &known).is_empty());
    let defined = yaml.replace("/aws/bedrock/finding\n", "/aws/bedrock/findings\n");
    let (source, spec) = parse(&defined);
    let found = check_destinations(&spec, &source, "x", &known);
    assert_eq!(found.len(), 1, "only the bucket is missing");
    assert_eq!(found[0].field.as_deref(), Some("x.findings.s3_bucket"));
}

#[test]
fn a_new_policy_reads_as_its_identifiers_not_flattened_flags() {
    let (_, spec) = parse(
        "data_protection:\n  identifiers: [IpAddress, EmailAddress]\n  custom_identifiers:\n    - {name: CustomerReference, regex: 'CUST-\\d{8}'}\n  findings:\n    log_group: /findings\n",
    );
    let props = desired_props(&spec, &|s| s.to_string());
    assert_eq!(
        describe_policy(&props).unwrap(),
        "audits and masks: EmailAddress, IpAddress, CustomerReference (custom); findings to log group /findings"
    );
    assert_eq!(describe_policy(&Value::Null), None);
}
