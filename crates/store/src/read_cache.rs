//! Reads kept in memory for the hot path of `POST /api/v1/transmissions`: who an API token acts
//! as, and what an item version is classified as (with its release status).
//!
//! Invalidation is by generation: every write transaction of the store ([`crate::Store`]'s
//! `write_tx`) increments the generation when it ends, and an entry is used only while the
//! generation it was read under is still current. A reader takes the generation *before* its
//! database read, so an entry read while a write was committing is tagged with the old
//! generation and never used. The one exception is recording a transmission, which writes
//! operations, holds, draw-downs and audit rows but none of the tables these reads depend on
//! (tokens, users, memberships, organisations, items, classifications, releases), so a stream of
//! transmissions keeps its entries.
//!
//! Within one process the entries are therefore never stale. Several processes on one
//! PostgreSQL database do not see each other's writes: an entry is also dropped after
//! [`MAX_AGE`], which bounds how long a revocation or a re-classification made through another
//! process can go unseen. Negative answers (an unknown token, an unknown version) are never kept.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::accounts::{OrgScope, User};
use crate::transmissions::ItemVersion;

/// How long an entry may be used at most (see the module's notes on several processes).
pub const MAX_AGE: Duration = Duration::from_secs(1);

/// The most entries of one kind; the map is emptied when full.
const MAX_ENTRIES: usize = 10_000;

/// A generation number, taken before a database read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Generation(u64);

struct Entry<V> {
    generation: Generation,
    read_at: Instant,
    value: V,
}

struct Map<K, V>(Mutex<HashMap<K, Entry<V>>>);

impl<K: Eq + Hash, V: Clone> Map<K, V> {
    fn new() -> Self {
        Map(Mutex::new(HashMap::new()))
    }

    fn get(&self, key: &K, current: Generation) -> Option<V> {
        let map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let e = map.get(key)?;
        (e.generation == current && e.read_at.elapsed() < MAX_AGE).then(|| e.value.clone())
    }

    fn put(&self, key: K, generation: Generation, value: V) {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(
            key,
            Entry {
                generation,
                read_at: Instant::now(),
                value,
            },
        );
    }
}

/// The store's read caches.
pub(crate) struct ReadCache {
    generation: AtomicU64,
    /// By token hash.
    tokens: Map<String, (User, OrgScope)>,
    /// By (organisation id, item as asked, version as asked), both lower-cased and trimmed.
    versions: Map<(String, String, String), ItemVersion>,
}

impl std::fmt::Debug for ReadCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadCache")
            .field("generation", &self.generation.load(Ordering::Acquire))
            .finish_non_exhaustive()
    }
}

impl Default for ReadCache {
    fn default() -> Self {
        ReadCache {
            generation: AtomicU64::new(0),
            tokens: Map::new(),
            versions: Map::new(),
        }
    }
}

impl ReadCache {
    /// The current generation (take it before reading the database).
    pub(crate) fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::Acquire))
    }

    /// A write transaction ended: every entry read before is out of date.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    pub(crate) fn token(&self, hash: &str) -> Option<(User, OrgScope)> {
        self.tokens.get(&hash.to_owned(), self.generation())
    }

    pub(crate) fn put_token(&self, hash: String, g: Generation, v: (User, OrgScope)) {
        self.tokens.put(hash, g, v);
    }

    pub(crate) fn version(&self, key: &(String, String, String)) -> Option<ItemVersion> {
        self.versions.get(key, self.generation())
    }

    pub(crate) fn put_version(&self, key: (String, String, String), g: Generation, v: ItemVersion) {
        self.versions.put(key, g, v);
    }
}

/// The key of an item version as asked.
pub(crate) fn version_key(org_id: &str, item: &str, version: &str) -> (String, String, String) {
    (
        org_id.to_owned(),
        item.trim().to_lowercase(),
        version.trim().to_lowercase(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_dropped_by_a_write_and_by_age() {
        let m: Map<u8, u8> = Map::new();
        let c = ReadCache::default();
        let g = c.generation();
        m.put(1, g, 7);
        assert_eq!(m.get(&1, c.generation()), Some(7));
        c.invalidate();
        assert_eq!(m.get(&1, c.generation()), None, "a write ended since");
        // Read under the old generation, put after the write: never used.
        m.put(2, g, 8);
        assert_eq!(m.get(&2, c.generation()), None);
        let g = c.generation();
        m.0.lock().unwrap_or_else(PoisonError::into_inner).insert(
            3,
            Entry {
                generation: g,
                read_at: Instant::now() - MAX_AGE,
                value: 9,
            },
        );
        assert_eq!(m.get(&3, g), None, "too old");
    }
}
