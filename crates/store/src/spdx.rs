//! SPDX 3 imports of export-control assessments (read by `vigil_domain::spdx::import_document`).
//!
//! What an import does, from a compliance officer's point of view:
//! - it is an officer's (or administrator's) act ([`Action::Decide`]): it brings in another
//!   party's conclusions about Annex I;
//! - each assessment of the document is matched to an item of the organisation **by name** (case
//!   and surrounding spaces ignored); an item that does not exist yet is **created** (kind
//!   `software`, audited `item.created`), since the package names a product the organisation
//!   holds or receives, and the version is the package's version;
//! - each assessment is stored as an **imported assessment** with its provenance (document name
//!   and spdxId, assessment and package spdxIds, assessor, assessment time): a proposal
//!   (`proposed`) when it states an EU classification (Annex I entries, or "not listed"), else
//!   `informative` (e.g. only a US ECCN). It never replaces nor adds to the organisation's own
//!   classification records: an officer accepts a proposal ([`Store::accept_spdx_assessment`]),
//!   which records a classification record of that version (audited `item.classified`, with the
//!   provenance in its detail) in the same transaction as the acceptance;
//! - the whole import is one transaction with one `spdx.imported` audit row naming every
//!   assessment: a refused element (e.g. an item name the records refuse) rolls everything
//!   back; the same document (same SHA-256) is imported once per organisation.

use diesel::prelude::*;
use serde_json::json;
use sha2::{Digest as _, Sha256};
use vigil_domain::access::Action;
use vigil_domain::spdx::{ForeignClassification, ImportedDocument};

use crate::accounts::{OrgScope, now_micros};
use crate::records::{ClassificationRecord, Item, NewItem, RecordError, insert_item, new_id};
use crate::schema::{items, spdx_assessments, spdx_imports};
use crate::{DbConnection, Store, StoreError};

/// Errors of SPDX imports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpdxError {
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The scope's role may not import or accept (an officer or administrator is needed).
    #[error("this role may not import or accept classifications (officer or administrator)")]
    Forbidden,
    /// The same document was imported before.
    #[error("this document was imported already (import {0}); nothing was written")]
    Duplicate(String),
    /// One element of the document was refused; nothing was written.
    #[error("{element}: {reason}; nothing was written")]
    Element {
        /// The spdxId of the element.
        element: String,
        /// Why.
        reason: String,
    },
    /// No such imported assessment in the scope's organisation.
    #[error("not found")]
    NotFound,
    /// The rules refuse the change; the text says why.
    #[error("refused: {0}")]
    Refused(String),
    /// No randomness for an id.
    #[error("cannot get random bytes: {0}")]
    Random(String),
}

impl From<diesel::result::Error> for SpdxError {
    fn from(e: diesel::result::Error) -> Self {
        SpdxError::Store(StoreError::Query(e))
    }
}

fn from_record(e: RecordError, element: &str) -> SpdxError {
    match e {
        RecordError::Store(s) => SpdxError::Store(s),
        RecordError::Random(r) => SpdxError::Random(r),
        RecordError::Forbidden => SpdxError::Forbidden,
        other => SpdxError::Element {
            element: element.to_owned(),
            reason: other.to_string(),
        },
    }
}

/// An imported document.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = spdx_imports)]
pub struct SpdxImport {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The SpdxDocument's spdxId.
    pub document_id: String,
    /// Its name.
    pub document_name: String,
    /// Its `specVersion`.
    pub spec_version: String,
    /// SHA-256 of the document (hex).
    pub content_sha256: String,
    /// Imported by (user id).
    pub imported_by: String,
    /// When (µs).
    pub imported_at: i64,
}

/// An imported assessment.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = spdx_assessments)]
pub struct SpdxAssessment {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: String,
    /// The import.
    pub import_id: String,
    /// The item.
    pub item_id: String,
    /// Version label.
    pub version_label: String,
    /// The package's spdxId.
    pub element_id: String,
    /// The assessment's spdxId.
    pub assessment_id: String,
    /// EU Annex I entries (JSON array).
    pub entries_json: String,
    /// `yes` or `no`.
    pub not_listed: String,
    /// Foreign classifications (JSON array).
    pub foreign_json: String,
    /// `yes`, `no` or `unknown`.
    pub cyber_surveillance: String,
    /// The assessor named.
    pub assessor: String,
    /// The assessment time, as given.
    pub assessed_at: String,
    /// `proposed`, `informative` or `accepted`.
    pub status: String,
    /// The classification record made on acceptance.
    pub classification_id: Option<String>,
    /// Accepted by.
    pub decided_by: Option<String>,
    /// When accepted (µs).
    pub decided_at: Option<i64>,
}

impl SpdxAssessment {
    /// The EU entries (empty when unreadable: the stored column is written by this module only).
    #[must_use]
    pub fn entries(&self) -> Vec<String> {
        serde_json::from_str(&self.entries_json).unwrap_or_default()
    }

    /// The foreign classifications.
    #[must_use]
    pub fn foreign(&self) -> Vec<ForeignClassification> {
        serde_json::from_str(&self.foreign_json).unwrap_or_default()
    }
}

/// What an import wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    /// The import.
    pub import: SpdxImport,
    /// Each assessment with its item, and whether the item was created by the import.
    pub assessments: Vec<(SpdxAssessment, Item, bool)>,
}

fn may_decide(scope: &OrgScope) -> Result<(), SpdxError> {
    if scope.role().allows(Action::Decide) {
        Ok(())
    } else {
        Err(SpdxError::Forbidden)
    }
}

fn audit(
    conn: &mut DbConnection,
    scope: &OrgScope,
    action: &str,
    subject: String,
    detail: serde_json::Value,
) -> Result<(), SpdxError> {
    crate::audit::append_scoped_in(conn, scope, action, subject, detail)?;
    Ok(())
}

fn id() -> Result<String, SpdxError> {
    new_id().map_err(|e| from_record(e, ""))
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

impl Store {
    /// Imports the assessments of a document read by `vigil_domain::spdx::import_document`
    /// (`text`: the document as received, for its hash), in one transaction.
    ///
    /// # Errors
    /// [`SpdxError::Forbidden`] below officer; [`SpdxError::Duplicate`] for a document imported
    /// before; [`SpdxError::Element`] naming the element the records refuse; a database failure.
    /// Nothing is written on any error.
    pub fn import_spdx(
        &self,
        scope: &OrgScope,
        text: &str,
        doc: &ImportedDocument,
    ) -> Result<ImportSummary, SpdxError> {
        may_decide(scope)?;
        let sha = Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>();
        self.write_tx(|c| {
            let before: Option<String> = spdx_imports::table
                .filter(spdx_imports::org_id.eq(scope.org_id()))
                .filter(spdx_imports::content_sha256.eq(&sha))
                .select(spdx_imports::id)
                .first(c)
                .optional()?;
            if let Some(prev) = before {
                return Err(SpdxError::Duplicate(prev));
            }
            let now = now_micros();
            let import = SpdxImport {
                id: id()?,
                org_id: scope.org_id().to_owned(),
                document_id: doc.spdx_id.clone(),
                document_name: doc.name.clone(),
                spec_version: doc.spec_version.clone(),
                content_sha256: sha.clone(),
                imported_by: scope.user_id().to_owned(),
                imported_at: now,
            };
            diesel::insert_into(spdx_imports::table)
                .values((
                    spdx_imports::id.eq(&import.id),
                    spdx_imports::org_id.eq(&import.org_id),
                    spdx_imports::document_id.eq(&import.document_id),
                    spdx_imports::document_name.eq(&import.document_name),
                    spdx_imports::spec_version.eq(&import.spec_version),
                    spdx_imports::content_sha256.eq(&import.content_sha256),
                    spdx_imports::imported_by.eq(&import.imported_by),
                    spdx_imports::imported_at.eq(import.imported_at),
                ))
                .execute(c)?;
            let mut known: Vec<Item> = items::table
                .filter(items::org_id.eq(scope.org_id()))
                .select(Item::as_select())
                .load(c)?;
            let mut out = Vec::new();
            let mut detail = Vec::new();
            for a in &doc.assessments {
                let wanted = a.item_name.trim().to_lowercase();
                let found = known
                    .iter()
                    .find(|i| i.name.trim().to_lowercase() == wanted)
                    .cloned();
                let (item, created) = match found {
                    Some(i) => (i, false),
                    None => {
                        let description = format!(
                            "Created by the import of SPDX document {} ({}), package {}",
                            doc.name, doc.spdx_id, a.element_id
                        );
                        let i = insert_item(
                            c,
                            scope,
                            &NewItem {
                                name: &a.item_name,
                                kind: "software",
                                description: &description,
                            },
                        )
                        .map_err(|e| from_record(e, &a.element_id))?;
                        known.push(i.clone());
                        (i, true)
                    }
                };
                let entries_json =
                    serde_json::to_string(&a.eu_entries).map_err(|e| SpdxError::Element {
                        element: a.assessment_id.clone(),
                        reason: e.to_string(),
                    })?;
                let foreign_json =
                    serde_json::to_string(&a.foreign).map_err(|e| SpdxError::Element {
                        element: a.assessment_id.clone(),
                        reason: e.to_string(),
                    })?;
                let row = SpdxAssessment {
                    id: id()?,
                    org_id: scope.org_id().to_owned(),
                    import_id: import.id.clone(),
                    item_id: item.id.clone(),
                    version_label: a.version.clone(),
                    element_id: a.element_id.clone(),
                    assessment_id: a.assessment_id.clone(),
                    entries_json,
                    not_listed: yes_no(a.not_listed).to_owned(),
                    foreign_json,
                    cyber_surveillance: a.cyber_surveillance.map_or("unknown", yes_no).to_owned(),
                    assessor: a.assessor.clone().unwrap_or_default(),
                    assessed_at: a.assessed_at.clone().unwrap_or_default(),
                    status: if a.has_eu_classification() {
                        "proposed"
                    } else {
                        "informative"
                    }
                    .to_owned(),
                    classification_id: None,
                    decided_by: None,
                    decided_at: None,
                };
                diesel::insert_into(spdx_assessments::table)
                    .values((
                        spdx_assessments::id.eq(&row.id),
                        spdx_assessments::org_id.eq(&row.org_id),
                        spdx_assessments::import_id.eq(&row.import_id),
                        spdx_assessments::item_id.eq(&row.item_id),
                        spdx_assessments::version_label.eq(&row.version_label),
                        spdx_assessments::element_id.eq(&row.element_id),
                        spdx_assessments::assessment_id.eq(&row.assessment_id),
                        spdx_assessments::entries_json.eq(&row.entries_json),
                        spdx_assessments::not_listed.eq(&row.not_listed),
                        spdx_assessments::foreign_json.eq(&row.foreign_json),
                        spdx_assessments::cyber_surveillance.eq(&row.cyber_surveillance),
                        spdx_assessments::assessor.eq(&row.assessor),
                        spdx_assessments::assessed_at.eq(&row.assessed_at),
                        spdx_assessments::status.eq(&row.status),
                    ))
                    .execute(c)?;
                detail.push(json!({
                    "imported_assessment": row.id,
                    "assessment": row.assessment_id,
                    "package": row.element_id,
                    "item": item.id,
                    "item_created": created,
                    "version": row.version_label,
                    "entries": a.eu_entries,
                    "not_listed": a.not_listed,
                    "foreign": a.foreign,
                    "cyber_surveillance": row.cyber_surveillance,
                    "assessor": row.assessor,
                    "assessed_at": row.assessed_at,
                    "status": row.status,
                }));
                out.push((row, item, created));
            }
            audit(
                c,
                scope,
                "spdx.imported",
                format!("spdx_import:{}", import.id),
                json!({
                    "document": import.document_name,
                    "document_id": import.document_id,
                    "spec_version": import.spec_version,
                    "sha256": import.content_sha256,
                    "assessments": detail,
                }),
            )?;
            Ok(ImportSummary {
                import,
                assessments: out,
            })
        })
    }

    /// The organisation's imports, newest first.
    ///
    /// # Errors
    /// A database failure.
    pub fn spdx_imports(&self, scope: &OrgScope) -> Result<Vec<SpdxImport>, StoreError> {
        Ok(spdx_imports::table
            .filter(spdx_imports::org_id.eq(scope.org_id()))
            .order((spdx_imports::imported_at.desc(), spdx_imports::id.asc()))
            .select(SpdxImport::as_select())
            .load(&mut *self.conn()?)?)
    }

    /// The organisation's imported assessments (of one item when `item_id` is given), newest
    /// import first.
    ///
    /// # Errors
    /// A database failure.
    pub fn spdx_assessments(
        &self,
        scope: &OrgScope,
        item_id: Option<&str>,
    ) -> Result<Vec<(SpdxAssessment, SpdxImport)>, StoreError> {
        let mut q = spdx_assessments::table
            .inner_join(spdx_imports::table.on(spdx_imports::id.eq(spdx_assessments::import_id)))
            .filter(spdx_assessments::org_id.eq(scope.org_id()))
            .into_boxed();
        if let Some(i) = item_id {
            q = q.filter(spdx_assessments::item_id.eq(i.to_owned()));
        }
        Ok(
            q.order((spdx_imports::imported_at.desc(), spdx_assessments::id.asc()))
                .select((SpdxAssessment::as_select(), SpdxImport::as_select()))
                .load(&mut *self.conn()?)?,
        )
    }

    /// Accepts a proposed imported assessment: records a classification record of its item
    /// version with its EU entries and the Art. 2(20) reading (`cyber_surveillance` when the
    /// officer states it, else the document's), audited `item.classified` with the provenance, in
    /// the same transaction as the acceptance. `law_version`: the law it is checked against.
    ///
    /// # Errors
    /// [`SpdxError::Forbidden`] below officer; [`SpdxError::NotFound`] for another
    /// organisation's or an unknown id; [`SpdxError::Refused`] when it was accepted already, states
    /// no EU classification, or no Art. 2(20) reading is known; a database failure.
    pub fn accept_spdx_assessment(
        &self,
        scope: &OrgScope,
        id_: &str,
        cyber_surveillance: Option<bool>,
        law_version: &str,
    ) -> Result<ClassificationRecord, SpdxError> {
        may_decide(scope)?;
        self.write_tx(|c| {
            let Some((a, imp)) = spdx_assessments::table
                .inner_join(
                    spdx_imports::table.on(spdx_imports::id.eq(spdx_assessments::import_id)),
                )
                .filter(spdx_assessments::org_id.eq(scope.org_id()))
                .filter(spdx_assessments::id.eq(id_))
                .select((SpdxAssessment::as_select(), SpdxImport::as_select()))
                .first::<(SpdxAssessment, SpdxImport)>(c)
                .optional()?
            else {
                return Err(SpdxError::NotFound);
            };
            match a.status.as_str() {
                "proposed" => {}
                "accepted" => {
                    return Err(SpdxError::Refused(
                        "this imported assessment was accepted already".into(),
                    ));
                }
                _ => {
                    return Err(SpdxError::Refused(
                        "this imported assessment states no EU classification (informative only)"
                            .into(),
                    ));
                }
            }
            let cyber = match (cyber_surveillance, a.cyber_surveillance.as_str()) {
                (Some(b), _) => b,
                (None, "yes") => true,
                (None, "no") => false,
                (None, _) => {
                    return Err(SpdxError::Refused(
                        "the document states no Art. 2(20) reading: state it to accept".into(),
                    ));
                }
            };
            let item: Item = items::table
                .filter(items::org_id.eq(scope.org_id()))
                .filter(items::id.eq(&a.item_id))
                .select(Item::as_select())
                .first(c)
                .optional()?
                .ok_or(SpdxError::NotFound)?;
            let entries = a.entries();
            let provenance = json!({
                "source": "spdx-import",
                "import": imp.id,
                "document": imp.document_name,
                "document_id": imp.document_id,
                "assessment": a.assessment_id,
                "package": a.element_id,
                "assessor": a.assessor,
                "assessed_at": a.assessed_at,
                "imported_assessment": a.id,
            });
            let sheet = json!({
                "description": item.description,
                "kind": item.kind,
                "facts": {},
                "provenance": provenance,
            });
            let result = json!({
                "provenance": provenance,
                "entries": entries,
                "not_listed": a.not_listed == "yes",
                "foreign": a.foreign(),
                "cyber_surveillance_stated": a.cyber_surveillance,
            });
            let entries_json = serde_json::to_string(&entries).map_err(|e| SpdxError::Element {
                element: a.assessment_id.clone(),
                reason: e.to_string(),
            })?;
            let rec = ClassificationRecord {
                id: id()?,
                org_id: scope.org_id().to_owned(),
                item_id: item.id.clone(),
                version_label: a.version_label.clone(),
                sheet_json: sheet.to_string(),
                result_json: result.to_string(),
                entries_json,
                cyber_surveillance: yes_no(cyber).to_owned(),
                law_version: law_version.to_owned(),
                classified_by: scope.user_id().to_owned(),
                classified_at: now_micros(),
            };
            crate::records::insert_classification_in(c, &rec)?;
            let n = diesel::update(
                spdx_assessments::table
                    .filter(spdx_assessments::org_id.eq(scope.org_id()))
                    .filter(spdx_assessments::id.eq(&a.id))
                    .filter(spdx_assessments::status.eq("proposed")),
            )
            .set((
                spdx_assessments::status.eq("accepted"),
                spdx_assessments::classification_id.eq(Some(&rec.id)),
                spdx_assessments::decided_by.eq(Some(scope.user_id())),
                spdx_assessments::decided_at.eq(Some(rec.classified_at)),
            ))
            .execute(c)?;
            if n != 1 {
                return Err(SpdxError::Refused(
                    "this imported assessment was accepted already".into(),
                ));
            }
            audit(
                c,
                scope,
                "item.classified",
                format!("item:{}", item.id),
                json!({
                    "classification": rec.id,
                    "version": rec.version_label,
                    "entries": entries,
                    "cyber_surveillance": rec.cyber_surveillance,
                    "law_version": rec.law_version,
                    "source": "spdx-import",
                    "provenance": provenance,
                }),
            )?;
            Ok(rec)
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use vigil_domain::Law;
    use vigil_domain::access::Role;
    use vigil_domain::spdx::{ExportRequest, ExportVersion, export_document, import_document};

    use super::*;
    use crate::AuditFilter;
    use crate::accounts::NewUser;

    fn member(store: &Store, email: &str, role: Role) -> OrgScope {
        let (u, o) = store
            .admin_create_user(
                &NewUser {
                    email,
                    display_name: email,
                    password: "correct horse battery",
                },
                "Buyer GmbH",
                role,
                "test",
            )
            .unwrap();
        store.scope(&u.id, &o.id).unwrap().unwrap()
    }

    fn document(law: &Law, names: &[&str]) -> String {
        let versions: Vec<ExportVersion> = names
            .iter()
            .map(|n| ExportVersion {
                item_name: (*n).to_owned(),
                item_kind: "software".into(),
                version: "2.1".into(),
                entries: vec!["5D002.c.1".into()],
                cyber_surveillance: false,
                assessor: "Olivia".into(),
                assessed_at: "2026-11-20T10:00:00Z".into(),
                law_version: "x".into(),
            })
            .collect();
        let doc = export_document(
            law,
            &ExportRequest {
                namespace: "urn:test:doc",
                name: "Supplier classifications",
                created: "2026-11-26T00:00:00Z",
                tool: "test",
                organisation: "Acme SAS",
                exporting_country: "FR",
                versions: &versions,
            },
        )
        .unwrap();
        serde_json::to_string(&doc).unwrap()
    }

    fn body(store: &Store) {
        let law = Law::embedded().unwrap();
        let officer = member(store, "officer@b.example", Role::Officer);
        let auditor = member(store, "auditor@b.example", Role::Auditor);
        let text = document(&law, &["CryptoGate"]);
        let doc = import_document(&text, &law).unwrap();
        assert!(matches!(
            store.import_spdx(&auditor, &text, &doc),
            Err(SpdxError::Forbidden)
        ));
        let s = store.import_spdx(&officer, &text, &doc).unwrap();
        assert_eq!(s.assessments.len(), 1);
        let (a, item, created) = &s.assessments[0];
        assert!(*created);
        assert_eq!(item.name, "CryptoGate");
        assert_eq!(a.status, "proposed");
        assert!(
            store
                .classifications(&officer, &item.id)
                .unwrap()
                .is_empty()
        );
        assert!(matches!(
            store.import_spdx(&officer, &text, &doc),
            Err(SpdxError::Duplicate(_))
        ));
        let rec = store
            .accept_spdx_assessment(&officer, &a.id, None, law.version())
            .unwrap();
        assert_eq!(rec.entries().unwrap(), vec!["5D002.c.1".to_owned()]);
        assert_eq!(rec.cyber_surveillance, "no");
        assert!(matches!(
            store.accept_spdx_assessment(&officer, &a.id, None, law.version()),
            Err(SpdxError::Refused(_))
        ));
        assert!(matches!(
            store.accept_spdx_assessment(&officer, "nope", None, law.version()),
            Err(SpdxError::NotFound)
        ));
        // A second document whose second package the records refuse: nothing of it is written.
        let bad = document(&law, &["Fresh item", "bad\u{7}name"]);
        let bad_doc = import_document(&bad, &law).unwrap();
        match store.import_spdx(&officer, &bad, &bad_doc) {
            Err(SpdxError::Element { element, .. }) => assert!(element.ends_with("#package-2")),
            other => panic!("{other:?}"),
        }
        let names: Vec<String> = store
            .items(&officer)
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, vec!["CryptoGate".to_owned()]);
        assert_eq!(store.spdx_imports(&officer).unwrap().len(), 1);
        let actions: Vec<String> = store
            .audit_records(officer.org_id(), &AuditFilter::default())
            .unwrap()
            .into_iter()
            .map(|r| r.event.action)
            .collect();
        assert_eq!(
            actions
                .iter()
                .filter(|a| a.starts_with("spdx.") || a.starts_with("item."))
                .collect::<Vec<_>>(),
            vec!["item.created", "spdx.imported", "item.classified"]
        );
    }

    #[test]
    fn imports_are_proposals_written_whole_or_not_at_all_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let store =
            Store::open(&format!("sqlite://{}", dir.path().join("t.db").display())).unwrap();
        body(&store);
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn imports_are_proposals_written_whole_or_not_at_all_postgres() {
        use diesel::{Connection as _, PgConnection};
        let Ok(admin) = std::env::var("VIGIL_TEST_PG_URL") else {
            eprintln!("skipped: VIGIL_TEST_PG_URL is not set");
            return;
        };
        let name = format!("vigil_spdx_test_{}", std::process::id());
        let mut conn = PgConnection::establish(&admin).unwrap();
        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut conn)
            .unwrap();
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .unwrap();
        let (base, _) = admin.rsplit_once('/').unwrap();
        let store = Store::open(&format!("{base}/{name}")).unwrap();
        body(&store);
        drop(store);
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut conn);
    }
}
