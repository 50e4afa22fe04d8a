//! SPDX 3 export and import of the export-control classifications of item versions.
//!
//! **Which SPDX.** The documents are SPDX 3 JSON-LD: a top-level object with `@context` (the
//! SPDX global context, [`CONTEXT_URL`]) and `@graph` (every element, each with `type` and
//! `spdxId`, referring to others by their `spdxId`; one blank-node `CreationInfo` shared by all).
//! Core and Software terms are those of SPDX 3.0.1 (`SpdxDocument`, `CreationInfo` with
//! `specVersion`, `created`, `createdBy`, `createdUsing`, `Organization`, `Person`, `Tool`,
//! `Specification`, `software_Package` with `software_packageVersion` and `suppliedBy`). The
//! export-control terms come from the **Operations profile of SPDX 3.1, which is still a draft**
//! (spdx-spec `v3.1-dev`): `ExportControlClassificationAssessment` (an Artifact: the assessed
//! element, one or more results, assessment time, assessor) and `ExportControlClassification`
//! (classification string, the specification it is read against, exporting country as ISO 3166-1
//! alpha-3, optional weight and comment; a nested object, not an element). Because the
//! Operations terms exist only in 3.1, documents declare `specVersion` `3.1` and the 3.1
//! context. The JSON-LD term names of a profile follow the 3.0.1 convention of the lower-case
//! profile name and an underscore (`operations_assessedElement`), which the 3.1 context is
//! expected to keep; if the draft changes them, [`import_document`] will report the assessments
//! it cannot find rather than guess.
//!
//! **How an EU classification is written.** Each version of an item is one `software_Package`
//! (name, version, supplied by the organisation) with one assessment. Each Annex I entry chosen
//! for the version is one classification whose specification is one `Specification` element
//! naming Regulation (EU) 2021/821, Annex I as replaced by Delegated Regulation (EU) 2025/2003,
//! with the EUR-Lex links ([`EU_SPEC_IDENTIFIER`], [`EU_SPEC_URL`], [`EU_ANNEX_URL`]). A version
//! whose classification chose no entry ("not listed in Annex I") is written honestly as one
//! classification [`NOT_LISTED`] (`EU:not-listed`) with a comment saying that it is no Annex I
//! code but the exporter's finding that none applies (SPDX has no other way to state a negative
//! finding, and a made-up code such as the US `EAR99` would be wrong for the EU). The Art. 2(20)
//! reading (cyber-surveillance item or not) goes into the assessment's `comment`, on a first line
//! of a fixed form ([`ART_2_20_PREFIX`]) that the import reads back.
//!
//! **What the import checks.** [`import_document`] parses a document into
//! [`ImportedAssessment`]s and reports every problem at once ([`ImportError`]), each with its JSON
//! path and the `spdxId` of the element concerned: not JSON, no SPDX 3 context or graph, an
//! assessment without `spdxId`, assessed element or result, an assessed element that is not a
//! package with a name and a version, a classification without its string, specification or
//! exporting country, an exporting country that is not ISO 3166-1 alpha-3, an Annex I code that
//! the law does not define, a malformed assessment time. Elements of other types are ignored. A
//! classification read against any other specification (e.g. the US EAR) is kept as
//! [`ForeignClassification`]: informative, never an EU entry.
//!
//! Pure: no IO, no clock (the creation time comes in as an argument).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::law::{ControlCode, Law, Resolution};

/// The SPDX global JSON-LD context of SPDX 3.1 (the version with the Operations profile).
pub const CONTEXT_URL: &str = "https://spdx.org/rdf/3.1/spdx-context.jsonld";
/// The `specVersion` written.
pub const SPEC_VERSION: &str = "3.1";
/// The media type of an SPDX JSON document.
pub const MEDIA_TYPE: &str = "application/spdx+json";
/// The classification string of a version that no Annex I entry covers.
pub const NOT_LISTED: &str = "EU:not-listed";
/// The identifier given to the EU specification (the CELEX number of Regulation (EU) 2021/821).
pub const EU_SPEC_IDENTIFIER: &str = "CELEX:32021R0821";
/// The regulation on EUR-Lex.
pub const EU_SPEC_URL: &str = "https://eur-lex.europa.eu/eli/reg/2021/821/oj";
/// The delegated regulation replacing Annex I, on EUR-Lex.
pub const EU_ANNEX_URL: &str = "https://eur-lex.europa.eu/eli/reg_del/2025/2003/oj";
/// The name of the EU specification element.
pub const EU_SPEC_NAME: &str = "Regulation (EU) 2021/821, Annex I (list of dual-use items) as replaced by Commission Delegated Regulation (EU) 2025/2003";
/// The first words of the assessment comment line that carries the Art. 2(20) reading.
pub const ART_2_20_PREFIX: &str = "Art. 2(20) cyber-surveillance item:";

/// JSON-LD type of an assessment.
pub const T_ASSESSMENT: &str = "operations_ExportControlClassificationAssessment";
/// JSON-LD type of a classification.
pub const T_CLASSIFICATION: &str = "operations_ExportControlClassification";
/// JSON-LD type of a package.
pub const T_PACKAGE: &str = "software_Package";

const P_ASSESSED: &str = "operations_assessedElement";
const P_RESULT: &str = "operations_assessmentResult";
const P_TIME: &str = "operations_assessmentTime";
const P_ASSESSOR: &str = "operations_assessor";
const P_CLASS: &str = "operations_exportClassification";
const P_SPEC: &str = "operations_exportControlSpecification";
const P_COUNTRY: &str = "operations_exportingCountry";
const P_VERSION: &str = "software_packageVersion";
const CREATION_INFO_ID: &str = "_:creationinfo";

// ---------------------------------------------------------------------------------------------
// The JSON-LD written.

/// An SPDX 3 JSON-LD document: the context and the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    /// The SPDX global context.
    #[serde(rename = "@context")]
    pub context: String,
    /// Every node.
    #[serde(rename = "@graph")]
    pub graph: Vec<Node>,
}

/// A node of the graph, tagged by its SPDX `type`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum Node {
    /// The creation information shared by every element (a blank node).
    CreationInfo(CreationInfo),
    /// The tool that wrote the document.
    Tool(Agent),
    /// An organisation (the supplier, the document's creator).
    Organization(Agent),
    /// A person (an assessor).
    Person(Agent),
    /// The document.
    SpdxDocument(SpdxDocument),
    /// A version of an item.
    #[serde(rename = "software_Package")]
    Package(Package),
    /// The law a classification is read against.
    Specification(Specification),
    /// The export-control assessment of one package.
    #[serde(rename = "operations_ExportControlClassificationAssessment")]
    Assessment(Assessment),
}

/// `CreationInfo`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreationInfo {
    /// Blank-node id.
    #[serde(rename = "@id")]
    pub id: String,
    /// `3.1`.
    #[serde(rename = "specVersion")]
    pub spec_version: String,
    /// RFC 3339 UTC.
    pub created: String,
    /// Agents (spdxIds).
    #[serde(rename = "createdBy")]
    pub created_by: Vec<String>,
    /// Tools (spdxIds).
    #[serde(rename = "createdUsing")]
    pub created_using: Vec<String>,
}

/// An agent or a tool: an element with a name.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Agent {
    /// Its id.
    #[serde(rename = "spdxId")]
    pub spdx_id: String,
    /// The creation information.
    #[serde(rename = "creationInfo")]
    pub creation_info: String,
    /// Name.
    pub name: String,
}

/// `SpdxDocument`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpdxDocument {
    /// Its id.
    #[serde(rename = "spdxId")]
    pub spdx_id: String,
    /// The creation information.
    #[serde(rename = "creationInfo")]
    pub creation_info: String,
    /// Name.
    pub name: String,
    /// Profiles used.
    #[serde(rename = "profileConformance")]
    pub profile_conformance: Vec<String>,
    /// The packages.
    #[serde(rename = "rootElement")]
    pub root_element: Vec<String>,
    /// Every other element.
    pub element: Vec<String>,
}

/// `software_Package`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Package {
    /// Its id.
    #[serde(rename = "spdxId")]
    pub spdx_id: String,
    /// The creation information.
    #[serde(rename = "creationInfo")]
    pub creation_info: String,
    /// The item's name.
    pub name: String,
    /// The version label.
    #[serde(rename = "software_packageVersion")]
    pub version: String,
    /// The organisation (spdxId).
    #[serde(rename = "suppliedBy")]
    pub supplied_by: String,
    /// The item's kind.
    pub comment: String,
}

/// `ExternalIdentifier` (nested).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExternalIdentifier {
    /// `ExternalIdentifier`.
    #[serde(rename = "type")]
    pub kind: String,
    /// `other`.
    #[serde(rename = "externalIdentifierType")]
    pub identifier_type: String,
    /// The identifier.
    pub identifier: String,
    /// Where it can be read.
    #[serde(rename = "identifierLocator")]
    pub locators: Vec<String>,
}

/// `Specification` (Core, 3.1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Specification {
    /// Its id.
    #[serde(rename = "spdxId")]
    pub spdx_id: String,
    /// The creation information.
    #[serde(rename = "creationInfo")]
    pub creation_info: String,
    /// Name.
    pub name: String,
    /// At least one identifier (the 3.1 model requires one).
    #[serde(rename = "externalIdentifier")]
    pub external_identifier: Vec<ExternalIdentifier>,
}

/// `ExportControlClassification` (nested in an assessment).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassificationNode {
    /// `operations_ExportControlClassification`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The Annex I code, or [`NOT_LISTED`].
    #[serde(rename = "operations_exportClassification")]
    pub classification: String,
    /// The specification (spdxId).
    #[serde(rename = "operations_exportControlSpecification")]
    pub specification: String,
    /// ISO 3166-1 alpha-3.
    #[serde(rename = "operations_exportingCountry")]
    pub exporting_country: String,
    /// What the code means.
    pub comment: String,
}

/// `ExportControlClassificationAssessment`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// Its id.
    #[serde(rename = "spdxId")]
    pub spdx_id: String,
    /// The creation information.
    #[serde(rename = "creationInfo")]
    pub creation_info: String,
    /// Name.
    pub name: String,
    /// The package (spdxId).
    #[serde(rename = "operations_assessedElement")]
    pub assessed_element: String,
    /// The classifications.
    #[serde(rename = "operations_assessmentResult")]
    pub result: Vec<ClassificationNode>,
    /// RFC 3339.
    #[serde(rename = "operations_assessmentTime")]
    pub time: String,
    /// The person (spdxId).
    #[serde(rename = "operations_assessor")]
    pub assessor: String,
    /// The Art. 2(20) reading and the law version.
    pub comment: String,
}

// ---------------------------------------------------------------------------------------------
// Export.

/// One classified version of an item, to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportVersion {
    /// The item's name.
    pub item_name: String,
    /// `hardware`, `software` or `technology`.
    pub item_kind: String,
    /// The version label.
    pub version: String,
    /// The Annex I entries chosen (empty: not listed).
    pub entries: Vec<String>,
    /// The Art. 2(20) reading.
    pub cyber_surveillance: bool,
    /// Who classified (name shown).
    pub assessor: String,
    /// When (RFC 3339 UTC).
    pub assessed_at: String,
    /// The law version the classification rests on.
    pub law_version: String,
}

/// What to export.
#[derive(Debug, Clone)]
pub struct ExportRequest<'a> {
    /// The document's URI; every element's `spdxId` starts with it (`…#package-1`).
    pub namespace: &'a str,
    /// The document's name.
    pub name: &'a str,
    /// Creation time (RFC 3339 UTC).
    pub created: &'a str,
    /// The tool, e.g. `Vigil 0.1.0`.
    pub tool: &'a str,
    /// The organisation (supplier and creator).
    pub organisation: &'a str,
    /// Its country of establishment (ISO 3166-1 alpha-2; written as alpha-3).
    pub exporting_country: &'a str,
    /// The versions.
    pub versions: &'a [ExportVersion],
}

/// Why a document cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// No version to export.
    #[error("no classified version to export")]
    Empty,
    /// The exporting country is not an ISO 3166-1 alpha-2 code.
    #[error("unknown country `{0}` (expected an ISO 3166-1 alpha-2 code, e.g. FR)")]
    Country(String),
    /// The exporting country is not a Member State: the EU classification is an exporter's in
    /// the Union.
    #[error(
        "`{0}` is not an EU Member State: an EU export-control classification is made by an exporter established in the Union"
    )]
    NotMemberState(String),
    /// A stored entry is not an Annex I code of the law.
    #[error("version {version}: `{code}` is not an Annex I entry of the law")]
    Entry {
        /// The version.
        version: String,
        /// The code.
        code: String,
    },
}

/// The ISO 3166-1 alpha-3 code of an alpha-2 code (case ignored).
#[must_use]
pub fn alpha3(alpha2: &str) -> Option<&'static str> {
    let a2 = alpha2.trim().to_ascii_uppercase();
    COUNTRIES
        .iter()
        .find(|(two, _)| *two == a2)
        .map(|(_, three)| *three)
}

/// The ISO 3166-1 alpha-2 code of an alpha-3 code (case sensitive: SPDX writes upper case).
#[must_use]
pub fn alpha2(alpha3: &str) -> Option<&'static str> {
    COUNTRIES
        .iter()
        .find(|(_, three)| *three == alpha3)
        .map(|(two, _)| *two)
}

/// Builds the SPDX document of `req`'s versions.
///
/// # Errors
/// [`ExportError`]: no version, an unknown country or one that is not an EU Member State, a
/// stored entry the law does not define.
pub fn export_document(law: &Law, req: &ExportRequest<'_>) -> Result<Document, ExportError> {
    if req.versions.is_empty() {
        return Err(ExportError::Empty);
    }
    let country = alpha3(req.exporting_country)
        .ok_or_else(|| ExportError::Country(req.exporting_country.to_owned()))?;
    let a2 = req.exporting_country.trim().to_ascii_uppercase();
    if law.group("eu").is_some_and(|g| !g.members.contains(&a2)) {
        return Err(ExportError::NotMemberState(a2));
    }
    let ns = req.namespace.trim_end_matches('#');
    let id = |local: &str| format!("{ns}#{local}");
    let ci = CREATION_INFO_ID.to_owned();
    let org_id = id("organisation");
    let tool_id = id("tool");
    let spec_id = id("specification-eu-2021-821-annex-i");
    let mut graph = vec![
        Node::CreationInfo(CreationInfo {
            id: ci.clone(),
            spec_version: SPEC_VERSION.to_owned(),
            created: req.created.to_owned(),
            created_by: vec![org_id.clone()],
            created_using: vec![tool_id.clone()],
        }),
        Node::Organization(Agent {
            spdx_id: org_id.clone(),
            creation_info: ci.clone(),
            name: req.organisation.to_owned(),
        }),
        Node::Tool(Agent {
            spdx_id: tool_id.clone(),
            creation_info: ci.clone(),
            name: req.tool.to_owned(),
        }),
        Node::Specification(Specification {
            spdx_id: spec_id.clone(),
            creation_info: ci.clone(),
            name: EU_SPEC_NAME.to_owned(),
            external_identifier: vec![ExternalIdentifier {
                kind: "ExternalIdentifier".to_owned(),
                identifier_type: "other".to_owned(),
                identifier: EU_SPEC_IDENTIFIER.to_owned(),
                locators: vec![EU_SPEC_URL.to_owned(), EU_ANNEX_URL.to_owned()],
            }],
        }),
    ];
    let mut elements = vec![org_id.clone(), tool_id, spec_id.clone()];
    let mut roots = Vec::new();
    let mut persons: BTreeMap<String, String> = BTreeMap::new();
    let mut rest = Vec::new();
    for (n, v) in req.versions.iter().enumerate() {
        let pkg_id = id(&format!("package-{}", n + 1));
        let person = persons.len() + 1;
        let person_id = persons
            .entry(v.assessor.clone())
            .or_insert_with(|| id(&format!("person-{person}")))
            .clone();
        let mut result = Vec::new();
        for code in &v.entries {
            let entry = ControlCode::parse(code)
                .ok()
                .and_then(|c| match law.resolve(&c) {
                    Resolution::Exact(e) | Resolution::Within(e) => Some((c, e)),
                    Resolution::Unknown(_) => None,
                })
                .ok_or_else(|| ExportError::Entry {
                    version: v.version.clone(),
                    code: code.clone(),
                })?;
            result.push(ClassificationNode {
                kind: T_CLASSIFICATION.to_owned(),
                classification: entry.0.to_string(),
                specification: spec_id.clone(),
                exporting_country: country.to_owned(),
                comment: format!(
                    "Annex I entry {} ({}) of Regulation (EU) 2021/821",
                    entry.0, entry.1.title
                ),
            });
        }
        if result.is_empty() {
            result.push(ClassificationNode {
                kind: T_CLASSIFICATION.to_owned(),
                classification: NOT_LISTED.to_owned(),
                specification: spec_id.clone(),
                exporting_country: country.to_owned(),
                comment: "Not an Annex I code: the exporter found that no entry of Annex I to \
                          Regulation (EU) 2021/821 covers this version (not a listed dual-use item)"
                    .to_owned(),
            });
        }
        rest.push(Node::Package(Package {
            spdx_id: pkg_id.clone(),
            creation_info: ci.clone(),
            name: v.item_name.clone(),
            version: v.version.clone(),
            supplied_by: org_id.clone(),
            comment: format!("Vigil item kind: {}", v.item_kind),
        }));
        let assessment_id = id(&format!("assessment-{}", n + 1));
        rest.push(Node::Assessment(Assessment {
            spdx_id: assessment_id.clone(),
            creation_info: ci.clone(),
            name: format!(
                "EU export-control classification of {} {}",
                v.item_name, v.version
            ),
            assessed_element: pkg_id.clone(),
            result,
            time: v.assessed_at.clone(),
            assessor: person_id,
            comment: format!(
                "{ART_2_20_PREFIX} {}\nThe exporter's reading of the definition of \
                 cyber-surveillance items in Art. 2(20) of Regulation (EU) 2021/821. \
                 Classified with Vigil, law version {}.",
                if v.cyber_surveillance { "yes" } else { "no" },
                v.law_version
            ),
        }));
        roots.push(pkg_id.clone());
        elements.push(pkg_id);
        elements.push(assessment_id);
    }
    for (name, pid) in &persons {
        graph.push(Node::Person(Agent {
            spdx_id: pid.clone(),
            creation_info: ci.clone(),
            name: name.clone(),
        }));
        elements.push(pid.clone());
    }
    graph.extend(rest);
    graph.insert(
        1,
        Node::SpdxDocument(SpdxDocument {
            spdx_id: ns.to_owned(),
            creation_info: ci,
            name: req.name.to_owned(),
            profile_conformance: vec!["core".into(), "software".into(), "operations".into()],
            root_element: roots,
            element: elements,
        }),
    );
    Ok(Document {
        context: CONTEXT_URL.to_owned(),
        graph,
    })
}

// ---------------------------------------------------------------------------------------------
// Import.

/// A classification read against another specification than Regulation (EU) 2021/821 (e.g. a
/// US ECCN): informative only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ForeignClassification {
    /// The classification string, e.g. `5D002` or `EAR99`.
    pub classification: String,
    /// The specification: its name, else its spdxId.
    pub specification: String,
    /// ISO 3166-1 alpha-3.
    pub exporting_country: String,
    /// The comment, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

/// One assessment read from a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportedAssessment {
    /// The assessment's spdxId.
    pub assessment_id: String,
    /// The assessed package's spdxId.
    pub element_id: String,
    /// The package's name (matched against item names).
    pub item_name: String,
    /// The package's version (the version label).
    pub version: String,
    /// The EU Annex I entries, checked against the law (empty with `not_listed` or when the
    /// document gives only foreign classifications).
    pub eu_entries: Vec<String>,
    /// The assessor found no Annex I entry ([`NOT_LISTED`]).
    pub not_listed: bool,
    /// The EU exporting countries given (ISO 3166-1 alpha-2).
    pub eu_countries: Vec<String>,
    /// Classifications against other specifications.
    pub foreign: Vec<ForeignClassification>,
    /// The Art. 2(20) reading, when the comment states it in Vigil's form.
    pub cyber_surveillance: Option<bool>,
    /// The assessor's name (else the agent's spdxId).
    pub assessor: Option<String>,
    /// The assessment time, as given.
    pub assessed_at: Option<String>,
}

impl ImportedAssessment {
    /// True when the document states an EU classification (entries or "not listed").
    #[must_use]
    pub fn has_eu_classification(&self) -> bool {
        self.not_listed || !self.eu_entries.is_empty()
    }
}

/// A document read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedDocument {
    /// The SpdxDocument's spdxId.
    pub spdx_id: String,
    /// Its name (empty if none).
    pub name: String,
    /// The `specVersion` of its creation information (empty if none).
    pub spec_version: String,
    /// The assessments, in graph order.
    pub assessments: Vec<ImportedAssessment>,
    /// Types of the nodes that were ignored, with their counts.
    pub ignored: BTreeMap<String, usize>,
}

/// One problem of a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpdxProblem {
    /// JSON path, e.g. `@graph[5].operations_assessedElement`.
    pub path: String,
    /// The spdxId of the element concerned, when known.
    pub element: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SpdxProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.element {
            Some(e) => write!(f, "{} ({e}): {}", self.path, self.message),
            None => write!(f, "{}: {}", self.path, self.message),
        }
    }
}

/// The document cannot be imported: every problem found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ImportError {
    /// The problems, in document order.
    pub problems: Vec<SpdxProblem>,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the SPDX document has {} problem(s)",
            self.problems.len()
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// True when a specification element names Regulation (EU) 2021/821 (its CELEX number, an
/// ELI/EUR-Lex link to it, or its name).
fn is_eu_2021_821(spec: &Value) -> bool {
    let mentions = |s: &str| {
        let s = s.to_ascii_lowercase();
        s.contains("32021r0821")
            || s.contains("eli/reg/2021/821")
            || s.contains("2021/821")
            || s.contains("2021_821")
    };
    if spec
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(mentions)
    {
        return true;
    }
    spec.get("externalIdentifier")
        .and_then(Value::as_array)
        .is_some_and(|ids| {
            ids.iter().any(|i| {
                i.get("identifier")
                    .and_then(Value::as_str)
                    .is_some_and(mentions)
                    || i.get("identifierLocator")
                        .and_then(Value::as_array)
                        .is_some_and(|l| l.iter().filter_map(Value::as_str).any(mentions))
            })
        })
}

struct Reader<'a> {
    law: &'a Law,
    problems: Vec<SpdxProblem>,
}

impl Reader<'_> {
    fn problem(&mut self, path: String, element: Option<&str>, message: impl Into<String>) {
        self.problems.push(SpdxProblem {
            path,
            element: element.map(str::to_owned),
            message: message.into(),
        });
    }
}

fn text<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Reads an SPDX 3 JSON-LD document's export-control assessments, checking each EU
/// classification against `law`.
///
/// # Errors
/// [`ImportError`] with every problem found (nothing is returned half-read).
pub fn import_document(text_in: &str, law: &Law) -> Result<ImportedDocument, ImportError> {
    let mut r = Reader {
        law,
        problems: Vec::new(),
    };
    let root: Value = match serde_json::from_str(text_in) {
        Ok(v) => v,
        Err(e) => {
            r.problem(
                "$".into(),
                None,
                format!("not JSON (line {}, column {}): {e}", e.line(), e.column()),
            );
            return Err(ImportError {
                problems: r.problems,
            });
        }
    };
    let context_ok = match root.get("@context") {
        Some(Value::String(s)) => s.contains("spdx.org/rdf/3") || s.contains("spdx-context"),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .any(|s| s.contains("spdx.org/rdf/3") || s.contains("spdx-context")),
        _ => false,
    };
    if !context_ok {
        r.problem(
            "@context".into(),
            None,
            format!("missing or not the SPDX 3 JSON-LD context (expected {CONTEXT_URL})"),
        );
    }
    let Some(graph) = root.get("@graph").and_then(Value::as_array) else {
        r.problem(
            "@graph".into(),
            None,
            "missing: an SPDX 3 JSON-LD document lists its elements in `@graph`",
        );
        return Err(ImportError {
            problems: r.problems,
        });
    };
    // Elements by spdxId (the first of each id), and where they are.
    let mut by_id: BTreeMap<&str, (usize, &Value)> = BTreeMap::new();
    let mut spec_version = String::new();
    let mut document: Option<(String, String)> = None;
    let mut ignored: BTreeMap<String, usize> = BTreeMap::new();
    let mut assessments = Vec::new();
    for (i, node) in graph.iter().enumerate() {
        let Some(kind) = node.get("type").and_then(Value::as_str) else {
            r.problem(
                format!("@graph[{i}].type"),
                text(node, "spdxId"),
                "missing: every node of the graph has a `type`",
            );
            continue;
        };
        if let Some(id) = text(node, "spdxId") {
            by_id.entry(id).or_insert((i, node));
        }
        match kind {
            "CreationInfo" => {
                if spec_version.is_empty()
                    && let Some(v) = text(node, "specVersion")
                {
                    v.clone_into(&mut spec_version);
                }
            }
            "SpdxDocument" => {
                if document.is_none() {
                    match text(node, "spdxId") {
                        Some(id) => {
                            document = Some((
                                id.to_owned(),
                                text(node, "name").unwrap_or_default().to_owned(),
                            ));
                        }
                        None => r.problem(
                            format!("@graph[{i}].spdxId"),
                            None,
                            "missing: the SpdxDocument has no spdxId",
                        ),
                    }
                }
            }
            T_ASSESSMENT => assessments.push(i),
            "Organization" | "Person" | "Tool" | "SoftwareAgent" | "Agent" | T_PACKAGE
            | "Specification" => {}
            other => *ignored.entry(other.to_owned()).or_insert(0) += 1,
        }
    }
    if document.is_none()
        && !r
            .problems
            .iter()
            .any(|p| p.message.contains("SpdxDocument"))
    {
        r.problem(
            "@graph".into(),
            None,
            "no SpdxDocument element: the document has no name or id to record the import under",
        );
    }
    if assessments.is_empty() {
        r.problem(
            "@graph".into(),
            None,
            format!("no {T_ASSESSMENT} element: nothing to import"),
        );
    }
    let mut out = Vec::new();
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for i in assessments {
        let Some(node) = graph.get(i) else { continue };
        if let Some(a) = read_assessment(&mut r, &by_id, i, node) {
            let key = (a.item_name.to_lowercase(), a.version.clone());
            if !seen.insert(key) {
                r.problem(
                    format!("@graph[{i}]"),
                    Some(&a.assessment_id),
                    format!(
                        "a second assessment of {} {} in the same document",
                        a.item_name, a.version
                    ),
                );
            }
            out.push(a);
        }
    }
    if !r.problems.is_empty() {
        return Err(ImportError {
            problems: r.problems,
        });
    }
    let (spdx_id, name) = document.unwrap_or_default();
    Ok(ImportedDocument {
        spdx_id,
        name,
        spec_version,
        assessments: out,
        ignored,
    })
}

fn read_assessment(
    r: &mut Reader<'_>,
    by_id: &BTreeMap<&str, (usize, &Value)>,
    i: usize,
    node: &Value,
) -> Option<ImportedAssessment> {
    let at = |p: &str| format!("@graph[{i}].{p}");
    let before = r.problems.len();
    let id = text(node, "spdxId");
    if id.is_none() {
        r.problem(at("spdxId"), None, "missing: the assessment has no spdxId");
    }
    let id_s = id.unwrap_or_default().to_owned();
    let el = id;
    // The assessed element: a package with a name and a version.
    let mut package: Option<(String, String, String)> = None;
    match text(node, P_ASSESSED) {
        None => r.problem(
            at(P_ASSESSED),
            el,
            "missing: the assessment names no assessed element (required, exactly one)",
        ),
        Some(target) => match by_id.get(target) {
            None => r.problem(
                at(P_ASSESSED),
                el,
                format!("`{target}` is not an element of this document"),
            ),
            Some((j, p)) => {
                let kind = p.get("type").and_then(Value::as_str).unwrap_or_default();
                let name = text(p, "name");
                let version = text(p, P_VERSION);
                if kind != T_PACKAGE {
                    r.problem(
                        at(P_ASSESSED),
                        el,
                        format!(
                            "`{target}` is a {kind}: Vigil imports assessments of packages ({T_PACKAGE}), matched to item versions"
                        ),
                    );
                } else if let (Some(n), Some(v)) = (name, version) {
                    if n.chars().count() > 200 || v.chars().count() > 100 {
                        r.problem(
                            format!("@graph[{j}]"),
                            Some(target),
                            "the package name (200) or version (100 characters) is too long",
                        );
                    } else {
                        package = Some((target.to_owned(), n.to_owned(), v.to_owned()));
                    }
                } else {
                    r.problem(
                        format!(
                            "@graph[{j}].{}",
                            if name.is_none() { "name" } else { P_VERSION }
                        ),
                        Some(target),
                        "missing: the assessed package needs a name and a software_packageVersion to match an item version",
                    );
                }
            }
        },
    }
    // The results.
    let mut eu_entries: Vec<String> = Vec::new();
    let mut eu_countries: Vec<String> = Vec::new();
    let mut not_listed = false;
    let mut foreign = Vec::new();
    match node.get(P_RESULT).and_then(Value::as_array) {
        None => r.problem(
            at(P_RESULT),
            el,
            "missing: the assessment has no result (one or more ExportControlClassification)",
        ),
        Some(results) if results.is_empty() => r.problem(
            at(P_RESULT),
            el,
            "empty: the assessment has no result (one or more ExportControlClassification)",
        ),
        Some(results) => {
            for (k, c) in results.iter().enumerate() {
                let cat = |p: &str| format!("@graph[{i}].{P_RESULT}[{k}].{p}");
                if c.get("type").and_then(Value::as_str) != Some(T_CLASSIFICATION) {
                    r.problem(
                        cat("type"),
                        el,
                        format!("expected an inline {T_CLASSIFICATION} object"),
                    );
                    continue;
                }
                let class = text(c, P_CLASS);
                if class.is_none() {
                    r.problem(
                        cat(P_CLASS),
                        el,
                        "missing: the classification string (e.g. 5D002.c.1)",
                    );
                }
                let country = match text(c, P_COUNTRY) {
                    None => {
                        r.problem(
                            cat(P_COUNTRY),
                            el,
                            "missing: the exporting country (ISO 3166-1 alpha-3)",
                        );
                        None
                    }
                    Some(cc) => match alpha2(cc) {
                        Some(two) => Some((cc, two)),
                        None => {
                            r.problem(
                                cat(P_COUNTRY),
                                el,
                                format!(
                                    "`{cc}` is not an ISO 3166-1 alpha-3 country code (e.g. FRA, DEU, USA)"
                                ),
                            );
                            None
                        }
                    },
                };
                let spec = match text(c, P_SPEC) {
                    None => {
                        r.problem(
                            cat(P_SPEC),
                            el,
                            "missing: the specification the classification is read against",
                        );
                        None
                    }
                    Some(sid) => match by_id.get(sid) {
                        Some((_, s))
                            if s.get("type").and_then(Value::as_str) == Some("Specification") =>
                        {
                            Some((sid, *s))
                        }
                        Some(_) => {
                            r.problem(
                                cat(P_SPEC),
                                el,
                                format!("`{sid}` is not a Specification element"),
                            );
                            None
                        }
                        None => {
                            r.problem(
                                cat(P_SPEC),
                                el,
                                format!("`{sid}` is not an element of this document"),
                            );
                            None
                        }
                    },
                };
                let (Some(class), Some((cc3, cc2)), Some((sid, s))) = (class, country, spec) else {
                    continue;
                };
                if is_eu_2021_821(s) {
                    if !eu_countries.iter().any(|x| x == cc2) {
                        eu_countries.push(cc2.to_owned());
                    }
                    if class == NOT_LISTED {
                        not_listed = true;
                        continue;
                    }
                    match ControlCode::parse(class) {
                        Ok(code) => match r.law.resolve(&code) {
                            Resolution::Exact(_) | Resolution::Within(_) => {
                                let code = code.to_string();
                                if !eu_entries.contains(&code) {
                                    eu_entries.push(code);
                                }
                            }
                            Resolution::Unknown(near) => r.problem(
                                cat(P_CLASS),
                                el,
                                format!(
                                    "`{class}` is not an Annex I entry of Regulation (EU) 2021/821; nearest: {}",
                                    near.join(", ")
                                ),
                            ),
                        },
                        Err(e) => r.problem(
                            cat(P_CLASS),
                            el,
                            format!(
                                "`{class}` is not an Annex I code ({e}); write {NOT_LISTED} for a version no entry covers"
                            ),
                        ),
                    }
                } else {
                    foreign.push(ForeignClassification {
                        classification: class.to_owned(),
                        specification: text(s, "name").unwrap_or(sid).to_owned(),
                        exporting_country: cc3.to_owned(),
                        comment: text(c, "comment").map(str::to_owned),
                    });
                }
            }
            if not_listed && !eu_entries.is_empty() {
                r.problem(
                    at(P_RESULT),
                    el,
                    format!(
                        "contradictory: {NOT_LISTED} beside Annex I entries ({})",
                        eu_entries.join(", ")
                    ),
                );
            }
        }
    }
    // Time and assessor.
    let assessed_at = text(node, P_TIME).map(str::to_owned);
    if let Some(t) = &assessed_at
        && time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).is_err()
    {
        r.problem(
            at(P_TIME),
            el,
            format!("`{t}` is not an RFC 3339 date-time (e.g. 2026-11-26T09:30:00Z)"),
        );
    }
    let assessor = text(node, P_ASSESSOR).map(|a| {
        by_id
            .get(a)
            .and_then(|(_, p)| text(p, "name"))
            .unwrap_or(a)
            .to_owned()
    });
    let cyber_surveillance = text(node, "comment").and_then(|c| {
        let first = c.lines().next()?.trim();
        match first.strip_prefix(ART_2_20_PREFIX)?.trim() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        }
    });
    if r.problems.len() > before {
        return None;
    }
    let (element_id, item_name, version) = package?;
    Some(ImportedAssessment {
        assessment_id: id_s,
        element_id,
        item_name,
        version,
        eu_entries,
        not_listed,
        eu_countries,
        foreign,
        cyber_surveillance,
        assessor,
        assessed_at,
    })
}

/// ISO 3166-1: alpha-2 and alpha-3 codes of the officially assigned countries and territories.
#[rustfmt::skip]
const COUNTRIES: &[(&str, &str)] = &[
    ("AD", "AND"), ("AE", "ARE"), ("AF", "AFG"), ("AG", "ATG"), ("AI", "AIA"), ("AL", "ALB"),
    ("AM", "ARM"), ("AO", "AGO"), ("AQ", "ATA"), ("AR", "ARG"), ("AS", "ASM"), ("AT", "AUT"),
    ("AU", "AUS"), ("AW", "ABW"), ("AX", "ALA"), ("AZ", "AZE"), ("BA", "BIH"), ("BB", "BRB"),
    ("BD", "BGD"), ("BE", "BEL"), ("BF", "BFA"), ("BG", "BGR"), ("BH", "BHR"), ("BI", "BDI"),
    ("BJ", "BEN"), ("BL", "BLM"), ("BM", "BMU"), ("BN", "BRN"), ("BO", "BOL"), ("BQ", "BES"),
    ("BR", "BRA"), ("BS", "BHS"), ("BT", "BTN"), ("BV", "BVT"), ("BW", "BWA"), ("BY", "BLR"),
    ("BZ", "BLZ"), ("CA", "CAN"), ("CC", "CCK"), ("CD", "COD"), ("CF", "CAF"), ("CG", "COG"),
    ("CH", "CHE"), ("CI", "CIV"), ("CK", "COK"), ("CL", "CHL"), ("CM", "CMR"), ("CN", "CHN"),
    ("CO", "COL"), ("CR", "CRI"), ("CU", "CUB"), ("CV", "CPV"), ("CW", "CUW"), ("CX", "CXR"),
    ("CY", "CYP"), ("CZ", "CZE"), ("DE", "DEU"), ("DJ", "DJI"), ("DK", "DNK"), ("DM", "DMA"),
    ("DO", "DOM"), ("DZ", "DZA"), ("EC", "ECU"), ("EE", "EST"), ("EG", "EGY"), ("EH", "ESH"),
    ("ER", "ERI"), ("ES", "ESP"), ("ET", "ETH"), ("FI", "FIN"), ("FJ", "FJI"), ("FK", "FLK"),
    ("FM", "FSM"), ("FO", "FRO"), ("FR", "FRA"), ("GA", "GAB"), ("GB", "GBR"), ("GD", "GRD"),
    ("GE", "GEO"), ("GF", "GUF"), ("GG", "GGY"), ("GH", "GHA"), ("GI", "GIB"), ("GL", "GRL"),
    ("GM", "GMB"), ("GN", "GIN"), ("GP", "GLP"), ("GQ", "GNQ"), ("GR", "GRC"), ("GS", "SGS"),
    ("GT", "GTM"), ("GU", "GUM"), ("GW", "GNB"), ("GY", "GUY"), ("HK", "HKG"), ("HM", "HMD"),
    ("HN", "HND"), ("HR", "HRV"), ("HT", "HTI"), ("HU", "HUN"), ("ID", "IDN"), ("IE", "IRL"),
    ("IL", "ISR"), ("IM", "IMN"), ("IN", "IND"), ("IO", "IOT"), ("IQ", "IRQ"), ("IR", "IRN"),
    ("IS", "ISL"), ("IT", "ITA"), ("JE", "JEY"), ("JM", "JAM"), ("JO", "JOR"), ("JP", "JPN"),
    ("KE", "KEN"), ("KG", "KGZ"), ("KH", "KHM"), ("KI", "KIR"), ("KM", "COM"), ("KN", "KNA"),
    ("KP", "PRK"), ("KR", "KOR"), ("KW", "KWT"), ("KY", "CYM"), ("KZ", "KAZ"), ("LA", "LAO"),
    ("LB", "LBN"), ("LC", "LCA"), ("LI", "LIE"), ("LK", "LKA"), ("LR", "LBR"), ("LS", "LSO"),
    ("LT", "LTU"), ("LU", "LUX"), ("LV", "LVA"), ("LY", "LBY"), ("MA", "MAR"), ("MC", "MCO"),
    ("MD", "MDA"), ("ME", "MNE"), ("MF", "MAF"), ("MG", "MDG"), ("MH", "MHL"), ("MK", "MKD"),
    ("ML", "MLI"), ("MM", "MMR"), ("MN", "MNG"), ("MO", "MAC"), ("MP", "MNP"), ("MQ", "MTQ"),
    ("MR", "MRT"), ("MS", "MSR"), ("MT", "MLT"), ("MU", "MUS"), ("MV", "MDV"), ("MW", "MWI"),
    ("MX", "MEX"), ("MY", "MYS"), ("MZ", "MOZ"), ("NA", "NAM"), ("NC", "NCL"), ("NE", "NER"),
    ("NF", "NFK"), ("NG", "NGA"), ("NI", "NIC"), ("NL", "NLD"), ("NO", "NOR"), ("NP", "NPL"),
    ("NR", "NRU"), ("NU", "NIU"), ("NZ", "NZL"), ("OM", "OMN"), ("PA", "PAN"), ("PE", "PER"),
    ("PF", "PYF"), ("PG", "PNG"), ("PH", "PHL"), ("PK", "PAK"), ("PL", "POL"), ("PM", "SPM"),
    ("PN", "PCN"), ("PR", "PRI"), ("PS", "PSE"), ("PT", "PRT"), ("PW", "PLW"), ("PY", "PRY"),
    ("QA", "QAT"), ("RE", "REU"), ("RO", "ROU"), ("RS", "SRB"), ("RU", "RUS"), ("RW", "RWA"),
    ("SA", "SAU"), ("SB", "SLB"), ("SC", "SYC"), ("SD", "SDN"), ("SE", "SWE"), ("SG", "SGP"),
    ("SH", "SHN"), ("SI", "SVN"), ("SJ", "SJM"), ("SK", "SVK"), ("SL", "SLE"), ("SM", "SMR"),
    ("SN", "SEN"), ("SO", "SOM"), ("SR", "SUR"), ("SS", "SSD"), ("ST", "STP"), ("SV", "SLV"),
    ("SX", "SXM"), ("SY", "SYR"), ("SZ", "SWZ"), ("TC", "TCA"), ("TD", "TCD"), ("TF", "ATF"),
    ("TG", "TGO"), ("TH", "THA"), ("TJ", "TJK"), ("TK", "TKL"), ("TL", "TLS"), ("TM", "TKM"),
    ("TN", "TUN"), ("TO", "TON"), ("TR", "TUR"), ("TT", "TTO"), ("TV", "TUV"), ("TW", "TWN"),
    ("TZ", "TZA"), ("UA", "UKR"), ("UG", "UGA"), ("UM", "UMI"), ("US", "USA"), ("UY", "URY"),
    ("UZ", "UZB"), ("VA", "VAT"), ("VC", "VCT"), ("VE", "VEN"), ("VG", "VGB"), ("VI", "VIR"),
    ("VN", "VNM"), ("VU", "VUT"), ("WF", "WLF"), ("WS", "WSM"), ("YE", "YEM"), ("YT", "MYT"),
    ("ZA", "ZAF"), ("ZM", "ZMB"), ("ZW", "ZWE"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_country_table_is_iso_3166_1_shaped_and_unique() {
        assert_eq!(COUNTRIES.len(), 249);
        let twos: BTreeSet<_> = COUNTRIES.iter().map(|c| c.0).collect();
        let threes: BTreeSet<_> = COUNTRIES.iter().map(|c| c.1).collect();
        assert_eq!(twos.len(), COUNTRIES.len());
        assert_eq!(threes.len(), COUNTRIES.len());
        assert_eq!(alpha3("fr"), Some("FRA"));
        assert_eq!(alpha2("DEU"), Some("DE"));
        assert_eq!(alpha2("XXX"), None);
    }
}
