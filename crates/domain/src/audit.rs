//! The tamper-evident audit trail, as pure logic: every change and decision becomes an
//! [`AuditRecord`] whose hash covers its content and the previous record's hash, so editing or
//! deleting any row breaks the chain from that row on. The store appends sealed records in the
//! same transaction as the change; [`verify`] walks a chain and names the first broken row.
//!
//! The hash is SHA-256 over a canonical JSON serialisation (object keys sorted, no whitespace) of
//! the record without its own hash.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of the first record of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An event to record, before it is sealed into the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When it happened (RFC 3339, UTC), given by the caller's clock.
    pub at: String,
    /// Organisation whose record changed.
    pub org_id: String,
    /// Who did it (user id, or `system`).
    pub actor: String,
    /// What was done, e.g. `operation.assessed`, `hold.released`, `user.created`.
    pub action: String,
    /// The record concerned, e.g. `operation:7f3c…`.
    pub subject: String,
    /// Details (the decision, the fields changed …).
    pub detail: serde_json::Value,
}

/// A sealed record of the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The event.
    #[serde(flatten)]
    pub event: AuditEvent,
    /// Hash of the previous record ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// Hash of this record.
    pub hash: String,
}

/// Where and why a chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("audit chain broken at record {seq}: {reason}")]
pub struct ChainError {
    /// The first record that does not verify.
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

fn digest(seq: u64, event: &AuditEvent, prev_hash: &str) -> String {
    // serde_json's map keeps keys sorted (no `preserve_order`), so this is canonical.
    let value = serde_json::json!({
        "seq": seq,
        "at": event.at,
        "org_id": event.org_id,
        "actor": event.actor,
        "action": event.action,
        "subject": event.subject,
        "detail": event.detail,
        "prev_hash": prev_hash,
    });
    let bytes = value.to_string();
    let mut h = Sha256::new();
    h.update(bytes.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Seals an event after `prev` (`None` for the first record).
#[must_use]
pub fn seal(prev: Option<&AuditRecord>, event: AuditEvent) -> AuditRecord {
    let (seq, prev_hash) = prev.map_or((1, GENESIS.to_owned()), |p| (p.seq + 1, p.hash.clone()));
    let hash = digest(seq, &event, &prev_hash);
    AuditRecord {
        seq,
        event,
        prev_hash,
        hash,
    }
}

/// Checks a chain one record at a time, in order, without holding it in memory (the store walks
/// a chain page by page with it).
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    prev_hash: String,
    next_seq: u64,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        ChainVerifier {
            prev_hash: GENESIS.to_owned(),
            next_seq: 1,
        }
    }
}

impl ChainVerifier {
    /// Checks the next record of the chain.
    ///
    /// # Errors
    /// [`ChainError`] when its sequence, its link to the previous record or its hash is wrong.
    pub fn check(&mut self, r: &AuditRecord) -> Result<(), ChainError> {
        let expected_seq = self.next_seq;
        if r.seq != expected_seq {
            return Err(ChainError {
                seq: r.seq,
                reason: format!(
                    "expected record {expected_seq} here (a record was removed or inserted)"
                ),
            });
        }
        if r.prev_hash != self.prev_hash {
            return Err(ChainError {
                seq: r.seq,
                reason: "its link to the previous record does not match".to_owned(),
            });
        }
        if digest(r.seq, &r.event, &r.prev_hash) != r.hash {
            return Err(ChainError {
                seq: r.seq,
                reason: "its content does not match its hash (it was edited)".to_owned(),
            });
        }
        self.prev_hash.clone_from(&r.hash);
        self.next_seq += 1;
        Ok(())
    }

    /// Records verified so far.
    #[must_use]
    pub fn count(&self) -> u64 {
        self.next_seq - 1
    }
}

/// Verifies a whole chain, in order.
///
/// # Errors
/// [`ChainError`] naming the first record whose sequence, link or hash does not verify.
pub fn verify<'a>(records: impl IntoIterator<Item = &'a AuditRecord>) -> Result<u64, ChainError> {
    let mut v = ChainVerifier::default();
    for r in records {
        v.check(r)?;
    }
    Ok(v.count())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u32) -> AuditEvent {
        AuditEvent {
            at: format!("2026-11-25T10:00:{n:02}Z"),
            org_id: "org-1".into(),
            actor: "user-1".into(),
            action: "operation.assessed".into(),
            subject: format!("operation:{n}"),
            detail: serde_json::json!({"decision": "licence_required", "n": n}),
        }
    }

    fn chain(n: u32) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let r = seal(out.last(), event(i));
            out.push(r);
        }
        out
    }

    #[test]
    fn a_sealed_chain_verifies() {
        let c = chain(5);
        assert_eq!(c[0].prev_hash, GENESIS);
        assert_eq!(c[4].prev_hash, c[3].hash);
        assert_eq!(verify(&c), Ok(5));
    }

    #[test]
    fn an_edited_record_is_named() {
        let mut c = chain(5);
        c[2].event.detail = serde_json::json!({"decision": "no_licence_required"});
        let e = verify(&c).unwrap_err();
        assert_eq!(e.seq, 3);
        assert!(e.reason.contains("edited"));
    }

    #[test]
    fn a_removed_record_is_named() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(verify(&c).unwrap_err().seq, 3);
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_link() {
        let mut c = chain(4);
        c[1].event.actor = "intruder".into();
        c[1].hash = digest(c[1].seq, &c[1].event, &c[1].prev_hash);
        let e = verify(&c).unwrap_err();
        assert_eq!(e.seq, 3);
        assert!(e.reason.contains("link"));
    }
}
