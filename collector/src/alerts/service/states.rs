//! A device's metric states in memory, one entry per alerting metric of every device:
//! the largest per-device structure of the alert service with a big fleet.

use super::super::engine::MetricState;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

/// Metric id → state, sorted by id, in a vector sized to its entries. The ids are shared
/// between devices ([`Interner`]): every device has the same few (`cpu`, `memory`,
/// `clients{ifname=wlan0}`…). The `BTreeMap<String, MetricState>` this replaces took a
/// node of about 600 bytes plus a string per metric for every device.
#[derive(Debug, Default)]
pub(super) struct MetricStates(Vec<(Arc<str>, MetricState)>);

impl MetricStates {
    fn find(&self, id: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| (**k).cmp(id))
    }

    pub fn get(&self, id: &str) -> Option<&MetricState> {
        self.find(id).ok().map(|i| &self.0[i].1)
    }

    /// The state of `id`, inserted as the default if absent (its id from `intern`).
    pub fn entry(&mut self, id: &str, intern: impl FnOnce(&str) -> Arc<str>) -> &mut MetricState {
        let i = match self.find(id) {
            Ok(i) => i,
            Err(i) => {
                // Exact capacity: a device gains metrics rarely, and the slack of a doubling
                // vector would be kept for every device.
                self.0.reserve_exact(1);
                self.0.insert(i, (intern(id), MetricState::default()));
                i
            }
        };
        &mut self.0[i].1
    }

    /// Set the state of `id`.
    pub fn insert(&mut self, id: &str, state: MetricState, intern: impl FnOnce(&str) -> Arc<str>) {
        *self.entry(id, intern) = state;
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &MetricState)> {
        self.0.iter().map(|(k, s)| (&**k, s))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut MetricState)> {
        self.0.iter_mut().map(|(k, s)| (&**k, s))
    }

    #[cfg(test)]
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| &**k)
    }
}

/// One shared copy of each metric id.
#[derive(Debug, Default)]
pub(super) struct Interner(Mutex<HashSet<Arc<str>>>);

impl Interner {
    pub fn intern(&self, id: &str) -> Arc<str> {
        let mut set = self.0.lock().expect("interner lock");
        if let Some(k) = set.get(id) {
            return k.clone();
        }
        let k: Arc<str> = Arc::from(id);
        set.insert(k.clone());
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    proptest! {
        /// Any sequence of inserts and lookups behaves as the map it replaced.
        #[test]
        fn behaves_as_a_btreemap(ops in proptest::collection::vec((0u8..12, any::<bool>()), 0..60)) {
            let interner = Interner::default();
            let mut mine = MetricStates::default();
            let mut model: BTreeMap<String, MetricState> = BTreeMap::new();
            for (n, insert) in ops {
                let id = format!("m{n}");
                if insert {
                    let mut s = MetricState::default();
                    s.is_healthy = Some(n % 2 == 0);
                    mine.insert(&id, s.clone(), |k| interner.intern(k));
                    model.insert(id.clone(), s);
                }
                prop_assert_eq!(mine.get(&id), model.get(&id));
                prop_assert_eq!(mine.0.capacity(), mine.0.len());
            }
            let got: Vec<_> = mine.iter().map(|(k, s)| (k.to_owned(), s.clone())).collect();
            let want: Vec<_> = model.into_iter().collect();
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn entry_keeps_an_existing_state_and_ids_are_shared() {
        let interner = Interner::default();
        let (mut a, mut b) = (MetricStates::default(), MetricStates::default());
        a.entry("cpu", |k| interner.intern(k)).is_healthy = Some(false);
        assert_eq!(
            a.entry("cpu", |_| unreachable!("present")).is_healthy,
            Some(false)
        );
        b.entry("cpu", |k| interner.intern(k));
        assert!(Arc::ptr_eq(&a.0[0].0, &b.0[0].0), "one copy of `cpu`");
        assert!(a.get("memory").is_none());
        for (_, s) in a.iter_mut() {
            s.is_healthy = None;
        }
        assert_eq!(a.get("cpu").unwrap().is_healthy, None);
    }
}
