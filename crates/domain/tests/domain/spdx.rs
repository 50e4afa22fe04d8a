//! SPDX 3 export and import of export-control classifications: the JSON-LD written (context,
//! types, specification, country), a round trip, and every problem the import reports.

use serde_json::{Value, json};
use vigil_domain::spdx::{
    CONTEXT_URL, EU_SPEC_URL, ExportError, ExportRequest, ExportVersion, NOT_LISTED,
    export_document, import_document,
};

use crate::support::LAW;

fn versions() -> Vec<ExportVersion> {
    vec![
        ExportVersion {
            item_name: "CryptoGate".into(),
            item_kind: "software".into(),
            version: "2.1".into(),
            entries: vec!["5D002.c.1".into()],
            cyber_surveillance: false,
            assessor: "Olivia Officer".into(),
            assessed_at: "2026-11-20T10:00:00Z".into(),
            law_version: "2025/2003+abc".into(),
        },
        ExportVersion {
            item_name: "CryptoGate".into(),
            item_kind: "software".into(),
            version: "1.0-lite".into(),
            entries: vec![],
            cyber_surveillance: false,
            assessor: "Olivia Officer".into(),
            assessed_at: "2026-10-01T08:00:00Z".into(),
            law_version: "2025/2003+abc".into(),
        },
    ]
}

fn exported() -> Value {
    let v = versions();
    let doc = export_document(
        &LAW,
        &ExportRequest {
            namespace: "urn:vigil:spdx:org1:item1:20261126T000000Z",
            name: "CryptoGate export-control classifications",
            created: "2026-11-26T00:00:00Z",
            tool: "Vigil test",
            organisation: "Acme SAS",
            exporting_country: "FR",
            versions: &v,
        },
    )
    .unwrap();
    serde_json::to_value(doc).unwrap()
}

fn of_type<'a>(doc: &'a Value, t: &str) -> Vec<&'a Value> {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == t)
        .collect()
}

#[test]
fn the_export_is_spdx_3_json_ld_with_the_eu_specification() {
    let doc = exported();
    assert_eq!(doc["@context"], CONTEXT_URL);
    let ci = of_type(&doc, "CreationInfo");
    assert_eq!(ci.len(), 1);
    assert_eq!(ci[0]["@id"], "_:creationinfo");
    assert_eq!(ci[0]["specVersion"], "3.1");
    assert_eq!(ci[0]["created"], "2026-11-26T00:00:00Z");
    let sdoc = of_type(&doc, "SpdxDocument");
    assert_eq!(sdoc.len(), 1);
    assert_eq!(sdoc[0]["rootElement"].as_array().unwrap().len(), 2);
    let org = of_type(&doc, "Organization");
    assert_eq!(org[0]["name"], "Acme SAS");
    let pkgs = of_type(&doc, "software_Package");
    assert_eq!(pkgs.len(), 2);
    assert_eq!(pkgs[0]["software_packageVersion"], "2.1");
    assert_eq!(pkgs[0]["suppliedBy"], org[0]["spdxId"]);
    let spec = of_type(&doc, "Specification");
    assert_eq!(spec.len(), 1);
    assert!(spec[0]["name"].as_str().unwrap().contains("2021/821"));
    assert!(spec[0]["name"].as_str().unwrap().contains("2025/2003"));
    let locators = &spec[0]["externalIdentifier"][0]["identifierLocator"];
    assert_eq!(locators[0], EU_SPEC_URL);
    let a = of_type(&doc, "operations_ExportControlClassificationAssessment");
    assert_eq!(a.len(), 2);
    assert_eq!(a[0]["operations_assessedElement"], pkgs[0]["spdxId"]);
    assert_eq!(a[0]["operations_assessmentTime"], "2026-11-20T10:00:00Z");
    let person = of_type(&doc, "Person");
    assert_eq!(person.len(), 1, "one person per assessor");
    assert_eq!(a[0]["operations_assessor"], person[0]["spdxId"]);
    let c = &a[0]["operations_assessmentResult"][0];
    assert_eq!(c["type"], "operations_ExportControlClassification");
    assert_eq!(c["operations_exportClassification"], "5D002.c.1");
    assert_eq!(c["operations_exportingCountry"], "FRA");
    assert_eq!(
        c["operations_exportControlSpecification"],
        spec[0]["spdxId"]
    );
    assert!(
        a[0]["comment"]
            .as_str()
            .unwrap()
            .starts_with("Art. 2(20) cyber-surveillance item: no")
    );
    // Not listed: one honest classification, not an empty result.
    let nl = &a[1]["operations_assessmentResult"];
    assert_eq!(nl.as_array().unwrap().len(), 1);
    assert_eq!(nl[0]["operations_exportClassification"], NOT_LISTED);
    // Every reference names an element of the graph.
    let ids: Vec<&str> = doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["spdxId"].as_str())
        .collect();
    for e in sdoc[0]["element"].as_array().unwrap() {
        assert!(ids.contains(&e.as_str().unwrap()), "{e}");
    }
}

#[test]
fn export_refuses_an_unknown_or_non_eu_country_an_unknown_entry_and_nothing() {
    let v = versions();
    let mut req = ExportRequest {
        namespace: "urn:x",
        name: "x",
        created: "2026-11-26T00:00:00Z",
        tool: "t",
        organisation: "o",
        exporting_country: "XX",
        versions: &v,
    };
    assert_eq!(
        export_document(&LAW, &req),
        Err(ExportError::Country("XX".into()))
    );
    req.exporting_country = "US";
    assert_eq!(
        export_document(&LAW, &req),
        Err(ExportError::NotMemberState("US".into()))
    );
    req.exporting_country = "DE";
    let bad = vec![ExportVersion {
        entries: vec!["5D999".into()],
        ..v[0].clone()
    }];
    req.versions = &bad;
    assert!(matches!(
        export_document(&LAW, &req),
        Err(ExportError::Entry { .. })
    ));
    req.versions = &[];
    assert_eq!(export_document(&LAW, &req), Err(ExportError::Empty));
}

#[test]
fn export_then_import_gives_back_the_classifications() {
    let text = exported().to_string();
    let doc = import_document(&text, &LAW).unwrap();
    assert_eq!(doc.name, "CryptoGate export-control classifications");
    assert_eq!(doc.spdx_id, "urn:vigil:spdx:org1:item1:20261126T000000Z");
    assert_eq!(doc.spec_version, "3.1");
    assert_eq!(doc.assessments.len(), 2);
    let a = &doc.assessments[0];
    assert_eq!(a.item_name, "CryptoGate");
    assert_eq!(a.version, "2.1");
    assert_eq!(a.eu_entries, vec!["5D002.c.1".to_owned()]);
    assert!(!a.not_listed);
    assert_eq!(a.eu_countries, vec!["FR".to_owned()]);
    assert_eq!(a.cyber_surveillance, Some(false));
    assert_eq!(a.assessor.as_deref(), Some("Olivia Officer"));
    assert_eq!(a.assessed_at.as_deref(), Some("2026-11-20T10:00:00Z"));
    assert!(a.foreign.is_empty());
    let b = &doc.assessments[1];
    assert!(b.not_listed && b.eu_entries.is_empty() && b.has_eu_classification());
}

/// The exported document, changed by `f`, imported: its problems as `path (element): message`.
fn problems(f: impl FnOnce(&mut Value)) -> Vec<String> {
    let mut doc = exported();
    f(&mut doc);
    match import_document(&doc.to_string(), &LAW) {
        Ok(_) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    }
}

/// The index in `@graph` of the first node of type `t`.
fn index(doc: &Value, t: &str) -> usize {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .position(|n| n["type"] == t)
        .unwrap()
}

const A: &str = "operations_ExportControlClassificationAssessment";

#[test]
fn import_names_an_unknown_annex_i_entry_with_its_path_and_element() {
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]["operations_assessmentResult"][0]["operations_exportClassification"] =
            json!("5D999.z");
    });
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].starts_with("@graph[")
            && p[0].contains(
                "].operations_assessmentResult[0].operations_exportClassification (urn:vigil:spdx:org1:item1:20261126T000000Z#assessment-1)"
            )
            && p[0].contains("`5D999.z` is not an Annex I entry"),
        "{p:?}"
    );
}

#[test]
fn import_reports_a_missing_assessed_element() {
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]
            .as_object_mut()
            .unwrap()
            .remove("operations_assessedElement");
    });
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(
        p[0].contains(".operations_assessedElement (") && p[0].contains("missing"),
        "{p:?}"
    );
}

#[test]
fn import_reports_an_assessed_element_that_is_no_package_or_has_no_version() {
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]["operations_assessedElement"] = json!("urn:nowhere");
    });
    assert!(p[0].contains("not an element of this document"), "{p:?}");
    let p = problems(|d| {
        let i = index(d, "software_Package");
        d["@graph"][i]
            .as_object_mut()
            .unwrap()
            .remove("software_packageVersion");
    });
    assert!(
        p[0].contains(".software_packageVersion (") && p[0].contains("needs a name"),
        "{p:?}"
    );
    let p = problems(|d| {
        let i = index(d, A);
        let org = d["@graph"][index(d, "Organization")]["spdxId"].clone();
        d["@graph"][i]["operations_assessedElement"] = org;
    });
    assert!(p[0].contains("is a Organization"), "{p:?}");
}

#[test]
fn import_reports_a_bad_country_and_missing_classification_properties() {
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]["operations_assessmentResult"][0]["operations_exportingCountry"] =
            json!("FR");
    });
    assert!(
        p[0].contains("operations_exportingCountry")
            && p[0].contains("`FR` is not an ISO 3166-1 alpha-3"),
        "{p:?}"
    );
    let p = problems(|d| {
        let i = index(d, A);
        let c = d["@graph"][i]["operations_assessmentResult"][0]
            .as_object_mut()
            .unwrap();
        c.remove("operations_exportClassification");
        c.remove("operations_exportControlSpecification");
    });
    assert_eq!(p.len(), 2, "{p:?}");
    assert!(p[0].contains("operations_exportClassification") && p[0].contains("missing"));
    assert!(p[1].contains("operations_exportControlSpecification") && p[1].contains("missing"));
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]["operations_assessmentResult"] = json!([]);
    });
    assert!(
        p[0].contains("operations_assessmentResult") && p[0].contains("empty"),
        "{p:?}"
    );
}

#[test]
fn import_reports_bad_time_contradictions_and_duplicates() {
    let p = problems(|d| {
        let i = index(d, A);
        d["@graph"][i]["operations_assessmentTime"] = json!("yesterday");
    });
    assert!(p[0].contains("not an RFC 3339 date-time"), "{p:?}");
    let p = problems(|d| {
        let i = index(d, A);
        let spec = d["@graph"][index(d, "Specification")]["spdxId"].clone();
        d["@graph"][i]["operations_assessmentResult"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "type": "operations_ExportControlClassification",
                "operations_exportClassification": NOT_LISTED,
                "operations_exportControlSpecification": spec,
                "operations_exportingCountry": "FRA"
            }));
    });
    assert!(p[0].contains("contradictory"), "{p:?}");
    let p = problems(|d| {
        let i = index(d, A);
        let copy = d["@graph"][i].clone();
        let mut copy = copy;
        copy["spdxId"] = json!("urn:copy");
        d["@graph"].as_array_mut().unwrap().push(copy);
    });
    assert!(
        p[0].contains("a second assessment of CryptoGate 2.1"),
        "{p:?}"
    );
}

#[test]
fn import_refuses_what_is_not_an_spdx_3_document() {
    let e = import_document("{not json", &LAW).unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].path, "$");
    assert!(e.problems[0].message.starts_with("not JSON (line 1"));
    let e = import_document(r#"{"spdxVersion": "SPDX-2.3"}"#, &LAW).unwrap_err();
    let paths: Vec<&str> = e.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, vec!["@context", "@graph"]);
    let p = problems(|d| {
        d["@graph"] = json!([{"type": "CreationInfo", "@id": "_:c", "specVersion": "3.1"}]);
    });
    assert!(p.iter().any(|p| p.contains("no SpdxDocument")), "{p:?}");
    assert!(
        p.iter()
            .any(|p| p.contains("no operations_ExportControlClassificationAssessment")),
        "{p:?}"
    );
}

#[test]
fn foreign_classifications_are_kept_apart_and_unknown_types_ignored() {
    let mut doc = exported();
    let graph = doc["@graph"].as_array_mut().unwrap();
    graph.push(json!({
        "type": "Specification",
        "spdxId": "urn:ear",
        "creationInfo": "_:creationinfo",
        "name": "US Export Administration Regulations, Commerce Control List",
        "externalIdentifier": [{"type": "ExternalIdentifier", "externalIdentifierType": "other",
            "identifier": "15 CFR 774", "identifierLocator": ["https://www.ecfr.gov/current/title-15/part-774"]}]
    }));
    graph.push(
        json!({"type": "security_VexAffectedVulnAssessmentRelationship", "spdxId": "urn:vex"}),
    );
    let i = graph.iter().position(|n| n["type"] == A).unwrap();
    graph[i]["operations_assessmentResult"]
        .as_array_mut()
        .unwrap()
        .push(json!({
            "type": "operations_ExportControlClassification",
            "operations_exportClassification": "5D002",
            "operations_exportControlSpecification": "urn:ear",
            "operations_exportingCountry": "USA",
            "comment": "ENC"
        }));
    // An ECCN that is not an EU code is no problem when it is read against the EAR.
    graph.push(json!({
        "type": "software_Package", "spdxId": "urn:p3", "creationInfo": "_:creationinfo",
        "name": "Other", "software_packageVersion": "9"
    }));
    graph.push(json!({
        "type": A, "spdxId": "urn:a3", "creationInfo": "_:creationinfo",
        "operations_assessedElement": "urn:p3",
        "operations_assessmentResult": [{
            "type": "operations_ExportControlClassification",
            "operations_exportClassification": "EAR99",
            "operations_exportControlSpecification": "urn:ear",
            "operations_exportingCountry": "USA"
        }]
    }));
    let read = import_document(&doc.to_string(), &LAW).unwrap();
    let a = &read.assessments[0];
    assert_eq!(a.eu_entries, vec!["5D002.c.1".to_owned()]);
    assert_eq!(a.foreign.len(), 1);
    assert_eq!(a.foreign[0].classification, "5D002");
    assert_eq!(a.foreign[0].exporting_country, "USA");
    assert!(a.foreign[0].specification.contains("Export Administration"));
    let c = &read.assessments[2];
    assert_eq!(c.item_name, "Other");
    assert!(!c.has_eu_classification());
    assert_eq!(c.foreign[0].classification, "EAR99");
    assert_eq!(c.cyber_surveillance, None);
    assert_eq!(
        read.ignored
            .get("security_VexAffectedVulnAssessmentRelationship"),
        Some(&1)
    );
}
