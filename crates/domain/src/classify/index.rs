//! The text index over Annex I used to rank entries for a product description: BM25 (the `bm25`
//! crate) over each entry's heading, summary, criteria and trade vocabulary, plus exact matching
//! of the vocabulary phrases, which are the strongest evidence a vendor's words give.

use std::collections::BTreeMap;

use aho_corasick::AhoCorasick;
use bm25::{Document, Language, SearchEngine, SearchEngineBuilder};

use crate::law::{ControlCode, Entry};
use crate::text::fold;

/// BM25 index plus folded vocabulary phrases, one document per Annex I entry.
pub struct EntryIndex {
    engine: SearchEngine<usize>,
    codes: Vec<ControlCode>,
    /// Every vocabulary phrase, folded and padded with spaces so it matches whole words.
    matcher: Option<AhoCorasick>,
    /// Per pattern of `matcher`: (document, original phrase).
    patterns: Vec<(usize, String)>,
}

/// A document found by the index.
pub struct Hit {
    /// The entry.
    pub code: ControlCode,
    /// BM25 score (0 when found by phrase only).
    pub bm25: f32,
    /// Vocabulary phrases found in the description.
    pub phrases: Vec<String>,
}

impl EntryIndex {
    /// Builds the index.
    #[must_use]
    pub fn build(entries: &BTreeMap<ControlCode, Entry>) -> EntryIndex {
        let mut docs = Vec::with_capacity(entries.len());
        let mut codes = Vec::with_capacity(entries.len());
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        for (i, e) in entries.values().enumerate() {
            let mut text = String::new();
            // Parent headings give a sub-item its context (5A001.f.1 is about telecommunications).
            for a in e.code.ancestors().iter().rev() {
                if let Some(p) = entries.get(a) {
                    text.push_str(&p.title);
                    text.push_str(". ");
                    // The family's trade terms describe its sub-items too (a "VPN" is under
                    // 5A002 and under whichever 5A002.a item fits); once, so own words decide.
                    for v in &p.vocabulary {
                        text.push_str(v);
                        text.push_str(". ");
                    }
                }
            }
            text.push_str(&e.title);
            text.push_str(". ");
            text.push_str(&e.summary);
            for c in &e.criteria {
                text.push_str(". ");
                text.push_str(&c.text);
            }
            // Vocabulary twice: a trade term is stronger evidence than the summary's words.
            for _ in 0..2 {
                for v in &e.vocabulary {
                    text.push_str(". ");
                    text.push_str(v);
                }
            }
            docs.push(Document::new(i, text));
            codes.push(e.code.clone());
            for v in &e.vocabulary {
                let f = fold(v);
                if !f.trim().is_empty() {
                    needles.push(f);
                    patterns.push((i, v.clone()));
                }
            }
        }
        let engine = SearchEngineBuilder::<usize>::with_documents(Language::English, docs).build();
        // Building only fails on absurd pattern sizes; without it, BM25 alone still ranks.
        let matcher = AhoCorasick::new(&needles).ok();
        EntryIndex {
            engine,
            codes,
            matcher,
            patterns,
        }
    }

    /// Entries matching a description, unsorted.
    #[must_use]
    pub fn search(&self, description: &str, limit: usize) -> Vec<Hit> {
        let folded = fold(description);
        let mut by_doc: BTreeMap<usize, Hit> = BTreeMap::new();
        for r in self.engine.search(description, limit) {
            let id = r.document.id;
            if let Some(code) = self.codes.get(id) {
                by_doc.insert(
                    id,
                    Hit {
                        code: code.clone(),
                        bm25: r.score,
                        phrases: Vec::new(),
                    },
                );
            }
        }
        if let Some(m) = &self.matcher {
            for found in m.find_overlapping_iter(&folded) {
                let Some((id, orig)) = self.patterns.get(found.pattern().as_usize()) else {
                    continue;
                };
                let Some(code) = self.codes.get(*id) else {
                    continue;
                };
                let hit = by_doc.entry(*id).or_insert_with(|| Hit {
                    code: code.clone(),
                    bm25: 0.0,
                    phrases: Vec::new(),
                });
                if !hit.phrases.contains(orig) {
                    hit.phrases.push(orig.clone());
                }
            }
        }
        by_doc.into_values().collect()
    }
}
