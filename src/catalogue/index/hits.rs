//! The matches of a text search, ranked and as a slot set, remembered per query words until the
//! text index or the replica changes.
//!
//! Why: ranking every match of a word through tantivy costs milliseconds at 100k products, and a
//! shop's searches repeat their words far more than their filters and pages (type-ahead sends
//! every prefix once, then the same word with each facet clicked). The filters, the page and
//! the facets stay per request; only the ranked match list is shared. An entry is exact for the
//! text index generation and the replica version it was made from, so no change can be missed;
//! the ids alone survive a replica change (they are re-placed in the new replica's slots).
//!
//! Bounded in bytes (a sixteenth of `CACHE_BUDGET_MB`), keyed by the query's analysed words,
//! so spellings that analyse alike share an entry and unique queries push out only each other.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;
use roaring::RoaringBitmap;

use super::replica::Replica;

/// A search's matches, best first.
pub struct Matches {
    /// The text index generation the ids come from.
    generation: u64,
    /// The replica version the slots were placed in.
    version: u64,
    pub(super) ids: Arc<[u64]>,
    /// Slots of the matches the replica holds, best first.
    pub ranked: Vec<u32>,
    /// The same as a set.
    pub all: RoaringBitmap,
}

impl Matches {
    /// Places `ids` (best first) in `replica`'s slots.
    fn place(generation: u64, ids: Arc<[u64]>, replica: &Replica) -> Self {
        let ranked: Vec<u32> = ids.iter().filter_map(|id| replica.slot(*id)).collect();
        let mut sorted = ranked.clone();
        sorted.sort_unstable();
        let all = RoaringBitmap::from_sorted_iter(sorted).expect("sorted, and slots are unique");
        Self { generation, version: replica.version, ids, ranked, all }
    }

    fn bytes(&self) -> u64 {
        (self.ids.len() * 8 + self.ranked.len() * 4 + self.all.serialized_size() + 128) as u64
    }
}

#[derive(Clone)]
struct MatchesWeight;

impl Weighter<Box<str>, Arc<Matches>> for MatchesWeight {
    fn weight(&self, key: &Box<str>, value: &Arc<Matches>) -> u64 {
        key.len() as u64 + value.bytes()
    }
}

pub(super) struct Hits {
    memo: Cache<Box<str>, Arc<Matches>, MatchesWeight>,
}

impl Hits {
    pub(super) fn new(budget_bytes: u64) -> Self {
        let estimated = usize::try_from(budget_bytes / 16_384).unwrap_or(usize::MAX).max(16);
        Self { memo: Cache::with_weighter(estimated, budget_bytes.max(1), MatchesWeight) }
    }

    /// The matches remembered for `key` at text index `generation` (placed in the replica
    /// version they name, which may since have changed: see [`Hits::placed`]).
    pub(super) fn get(&self, key: &str, generation: u64) -> Option<Arc<Matches>> {
        self.memo.get(key).filter(|m| m.generation == generation)
    }

    /// `found` (what [`Hits::get`] gave) if it is placed in `replica`'s version, else the matches
    /// `ids` (the search's answer at `generation`) placed in `replica`, and remembered.
    pub(super) fn placed(
        &self,
        key: &str,
        found: Option<Arc<Matches>>,
        generation: u64,
        ids: Arc<[u64]>,
        replica: &Replica,
    ) -> Arc<Matches> {
        if let Some(found) = found.filter(|m| m.generation == generation && m.version == replica.version) {
            return found;
        }
        let placed = Arc::new(Matches::place(generation, ids, replica));
        self.memo.insert(key.into(), placed.clone());
        placed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::index::replica::{test_doc, Taxonomy};

    fn replica(ids: &[u64]) -> Replica {
        Replica::build(ids.iter().map(|&id| test_doc(id, "x")).collect(), &[], Taxonomy::default(), None)
    }

    #[test]
    fn matches_hold_for_their_generation_and_version_and_follow_slots_on_a_change() {
        let hits = Hits::new(1 << 20);
        let mut replica = replica(&[10, 20, 30]);
        let ids: Arc<[u64]> = Arc::from(vec![30, 10, 99]);
        let first = hits.placed("k", hits.get("k", 1), 1, ids.clone(), &replica);
        // Best first, in slots; an id the replica lacks is left out.
        assert_eq!((first.ranked.clone(), first.all.iter().collect::<Vec<_>>()), (vec![2, 0], vec![0, 2]));
        let again = hits.get("k", 1);
        assert_eq!(again.as_ref().map(|m| &m.ids[..]), Some(&[30, 10, 99][..]));
        assert!(Arc::ptr_eq(&first, &hits.placed("k", again, 1, ids.clone(), &replica)), "remembered while nothing changed");
        assert!(hits.get("k", 2).is_none(), "a commit to the text index drops the ids");
        // The replica changes: 30 moves to a new slot; the ids are placed again.
        replica.upsert(test_doc(30, "y"), &[]);
        let moved = hits.placed("k", hits.get("k", 1), 1, ids, &replica);
        assert!(!Arc::ptr_eq(&first, &moved));
        assert_eq!(moved.ranked, vec![replica.slot(30).unwrap(), replica.slot(10).unwrap()]);
        assert_ne!(moved.ranked[0], 2);
    }
}
