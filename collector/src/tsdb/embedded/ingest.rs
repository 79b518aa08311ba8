//! Applying write requests inside one write transaction (group commit).
//!
//! Each request is checked as a whole before any of its points is applied, so a rejected
//! request leaves no trace while the other requests of the group still commit.

use super::layout::{
    FIELD_TYPES, MEASUREMENT_INDEX, META, NEXT_SERIES_ID, POINTS, SERIES, SERIES_META, TAG_INDEX,
    db_err, decode_fields, encode_fields, retention_code, type_code, type_name,
};
use super::rollup;
use crate::tsdb::{FieldValue, Point, Retention, StoreError};
use redb::{ReadableTable, WriteTransaction};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Field types per retention code: measurement → field → type code.
pub type FieldTypes = [HashMap<String, HashMap<String, u8>>; 2];

/// Series ids by a keyed hash of their canonical key (keyed at random per process, so no
/// device can craft tags that collide with another series): 16 bytes a series instead of
/// its key bytes on the heap, which were 1.7 KiB a device (31 series each) in a heaptrack
/// profile of a 20 000-device fleet. The map is a cache in front of the `series` table:
/// an entry holds a 64-bit hash as its key and a second, independent 32-bit hash beside
/// the id, checked on every hit (a pair of series that agree on all 96 bits: about one in
/// 10^16 for a million series); a miss reads the table.
#[derive(Debug, Default)]
pub struct SeriesIds {
    hashers: [std::hash::RandomState; 2],
    ids: IdsByHash,
}

/// A series key's two hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyHash {
    word: u64,
    check: u32,
}

/// The hasher of the [`IdsByHash`] map: its keys are already keyed hashes, so the word
/// written is the hash (no SipHash of a hash for every point).
#[derive(Debug, Default)]
struct PassThrough(u64);

impl std::hash::Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; this keeps any other input well mixed.
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// `word` → (`check`, id): 16 bytes an entry.
type IdsByHash = HashMap<u64, (u32, u32), std::hash::BuildHasherDefault<PassThrough>>;

fn cached(ids: &IdsByHash, h: KeyHash) -> Option<u64> {
    ids.get(&h.word)
        .filter(|(check, _)| *check == h.check)
        .map(|&(_, id)| u64::from(id))
}

/// Remember `id` (ids beyond 32 bits are not cached: their series read the table).
fn remember(ids: &mut IdsByHash, h: KeyHash, id: u64) {
    if let Ok(id) = u32::try_from(id) {
        ids.insert(h.word, (h.check, id));
    }
}

impl SeriesIds {
    fn hash(&self, key: &[u8]) -> KeyHash {
        use std::hash::BuildHasher as _;
        #[allow(clippy::cast_possible_truncation)] // the low 32 bits of a second hash
        KeyHash {
            word: self.hashers[0].hash_one(key),
            check: self.hashers[1].hash_one(key) as u32,
        }
    }

    pub fn remove(&mut self, key: &[u8]) {
        let h = self.hash(key);
        if cached(&self.ids, h).is_some() {
            self.ids.remove(&h.word);
        }
    }
}

/// What the writer remembers between transactions: committed series ids and field types.
#[derive(Debug, Default)]
pub struct Catalog {
    /// Series known to be committed, by canonical key. Filled lazily.
    pub series: SeriesIds,
    /// Every committed field type (loaded at open; small).
    pub field_types: FieldTypes,
    pub next_series_id: u64,
    /// Hours before this may have rollups: a point written there invalidates its hour's
    /// (`rollup.rs`).
    pub rollup_below: i64,
}

/// What one group transaction adds to the catalog, merged in only once it commits.
#[derive(Debug, Default)]
pub struct Staged {
    /// New series by the catalog's hash of their key ([`SeriesIds`]).
    series: IdsByHash,
    field_types: FieldTypes,
    next_series_id: u64,
    /// Points older than their policy's retention, dropped as InfluxDB drops them.
    pub expired_dropped: usize,
}

impl Catalog {
    pub fn merge(&mut self, staged: Staged) {
        self.series.ids.extend(staged.series);
        for (mine, theirs) in self.field_types.iter_mut().zip(staged.field_types) {
            for (measurement, fields) in theirs {
                mine.entry(measurement).or_default().extend(fields);
            }
        }
        self.next_series_id = staged.next_series_id;
    }

    fn field_type(&self, staged: &Staged, rc: usize, measurement: &str, field: &str) -> Option<u8> {
        [&self.field_types[rc], &staged.field_types[rc]]
            .into_iter()
            .find_map(|types| types.get(measurement)?.get(field).copied())
    }
}

/// Apply `requests` in `txn`; one outcome per request, in order. An `Err` return means the
/// transaction itself failed and must not be committed.
pub fn apply(
    txn: &WriteTransaction,
    catalog: &mut Catalog,
    requests: &[&[Point]],
    cutoffs: [i64; 2],
) -> Result<(Vec<Result<(), StoreError>>, Staged), StoreError> {
    let mut staged = Staged {
        next_series_id: catalog.next_series_id,
        ..Staged::default()
    };
    let mut series = txn.open_table(SERIES).map_err(db_err)?;
    let mut series_meta = txn.open_table(SERIES_META).map_err(db_err)?;
    let mut points_table = txn.open_table(POINTS).map_err(db_err)?;
    let mut tag_index = txn.open_multimap_table(TAG_INDEX).map_err(db_err)?;
    let mut measurement_index = txn.open_multimap_table(MEASUREMENT_INDEX).map_err(db_err)?;
    let mut field_types = txn.open_table(FIELD_TYPES).map_err(db_err)?;
    let mut rollups = rollup::Tables::open(txn)?;
    let mut outcomes = Vec::with_capacity(requests.len());
    for points in requests {
        let new_types = match check(catalog, &staged, points) {
            Ok(new_types) => new_types,
            Err(e) => {
                outcomes.push(Err(e));
                continue;
            }
        };
        for ((rc, measurement, field), code) in new_types {
            field_types
                .insert((rc, measurement.as_str(), field.as_str()), code)
                .map_err(db_err)?;
            staged.field_types[usize::from(rc)]
                .entry(measurement)
                .or_default()
                .insert(field, code);
        }
        for point in *points {
            let rc = usize::from(retention_code(point.retention));
            if point.time_us < cutoffs[rc] {
                staged.expired_dropped += 1;
                continue;
            }
            let tags = live_tags(&point.tags);
            let key = encode_key(point.retention, &point.measurement, &tags);
            let hash = catalog.series.hash(&key);
            let id = if let Some(id) =
                cached(&catalog.series.ids, hash).or_else(|| cached(&staged.series, hash))
            {
                id
            } else if let Some(id) = series.get(key.as_slice()).map_err(db_err)? {
                let id = id.value();
                remember(&mut catalog.series.ids, hash, id);
                id
            } else {
                let id = staged.next_series_id;
                staged.next_series_id += 1;
                let rc = retention_code(point.retention);
                series.insert(key.as_slice(), id).map_err(db_err)?;
                series_meta.insert(id, key.as_slice()).map_err(db_err)?;
                measurement_index
                    .insert((rc, point.measurement.as_str()), id)
                    .map_err(db_err)?;
                for (k, v) in tags.iter() {
                    tag_index
                        .insert((rc, point.measurement.as_str(), k.as_str(), v.as_str()), id)
                        .map_err(db_err)?;
                }
                remember(&mut staged.series, hash, id);
                id
            };
            if point.retention == Retention::Default && point.time_us < catalog.rollup_below {
                rollup::invalidate(&mut rollups, id, point.time_us)?;
            }
            let old = points_table
                .insert((id, point.time_us), encode_fields(&point.fields).as_slice())
                .map_err(db_err)?
                .map(|old| decode_fields(old.value()));
            if let Some(old) = old {
                // Same series and timestamp: InfluxDB merges the field sets, the new value
                // of a field replacing the old one.
                let mut merged = old?;
                merged.extend(point.fields.iter().map(|(k, v)| (k.clone(), v.clone())));
                points_table
                    .insert((id, point.time_us), encode_fields(&merged).as_slice())
                    .map_err(db_err)?;
            }
        }
        outcomes.push(Ok(()));
    }
    let mut meta = txn.open_table(META).map_err(db_err)?;
    meta.insert(NEXT_SERIES_ID, staged.next_series_id)
        .map_err(db_err)?;
    Ok((outcomes, staged))
}

/// A new field type a request introduces: `(retention code, measurement, field)` → type.
type NewTypes = HashMap<(u8, String, String), u8>;

/// Check a whole request: names, values, and field types against what is stored.
fn check(catalog: &Catalog, staged: &Staged, points: &[Point]) -> Result<NewTypes, StoreError> {
    let mut new_types = NewTypes::new();
    for point in points {
        check_point(point)?;
        let rc = retention_code(point.retention);
        for (field, value) in &point.fields {
            let code = type_code(value);
            let known = catalog
                .field_type(staged, usize::from(rc), &point.measurement, field)
                .or_else(|| {
                    new_types
                        .get(&(rc, point.measurement.clone(), field.clone()))
                        .copied()
                });
            match known {
                Some(have) if have != code => {
                    return Err(StoreError::Rejected(format!(
                        "field type conflict: `{}` of measurement `{}` holds {} values, \
                         the point at {} µs has a {} value",
                        field,
                        point.measurement,
                        type_name(have),
                        point.time_us,
                        type_name(code)
                    )));
                }
                Some(_) => {}
                None => {
                    new_types.insert((rc, point.measurement.clone(), field.clone()), code);
                }
            }
        }
    }
    Ok(new_types)
}

fn check_point(point: &Point) -> Result<(), StoreError> {
    let at = || format!("point of `{}` at {} µs", point.measurement, point.time_us);
    if point.measurement.is_empty() {
        return Err(StoreError::Rejected(format!(
            "{} has an empty measurement name",
            at()
        )));
    }
    if point.fields.is_empty() {
        return Err(StoreError::Rejected(format!("{} has no field", at())));
    }
    if point.tags.keys().any(String::is_empty) || point.fields.keys().any(String::is_empty) {
        return Err(StoreError::Rejected(format!(
            "{} has an empty tag or field name",
            at()
        )));
    }
    for (name, value) in &point.fields {
        if let FieldValue::Float(v) = value
            && !v.is_finite()
        {
            return Err(StoreError::Rejected(format!(
                "{}: field `{name}` is {v}; only finite floats can be stored",
                at()
            )));
        }
    }
    Ok(())
}

/// The tags that identify the series: InfluxDB drops tags with empty values.
fn live_tags(tags: &BTreeMap<String, String>) -> Cow<'_, BTreeMap<String, String>> {
    if tags.values().any(String::is_empty) {
        Cow::Owned(
            tags.iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    } else {
        Cow::Borrowed(tags)
    }
}

/// The canonical series key, encoded without cloning the point (same bytes as
/// `SeriesKey::encode`: postcard encodes `&str` like `String`).
fn encode_key(retention: Retention, measurement: &str, tags: &BTreeMap<String, String>) -> Vec<u8> {
    #[derive(serde::Serialize)]
    struct KeyRef<'a> {
        retention: Retention,
        measurement: &'a str,
        tags: &'a BTreeMap<String, String>,
    }
    postcard::to_allocvec(&KeyRef {
        retention,
        measurement,
        tags,
    })
    .expect("a series key always serialises")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tsdb::embedded::layout::SeriesKey;

    #[test]
    fn borrowed_key_encodes_like_the_owned_one() {
        let tags = BTreeMap::from([("ifname".to_owned(), "wlan0".to_owned())]);
        let owned = SeriesKey {
            retention: Retention::Short,
            measurement: "traffic".into(),
            tags: tags.clone(),
        };
        assert_eq!(
            encode_key(Retention::Short, "traffic", &tags),
            owned.encode()
        );
    }

    #[test]
    fn empty_tag_values_do_not_identify_a_series() {
        let tags = BTreeMap::from([
            ("a".to_owned(), String::new()),
            ("b".to_owned(), "x".to_owned()),
        ]);
        assert_eq!(
            *live_tags(&tags),
            BTreeMap::from([("b".to_owned(), "x".to_owned())])
        );
    }

    #[test]
    fn a_request_conflicting_with_itself_is_rejected() {
        let points = [
            Point::new("m", 1).field("f", FieldValue::Int(1)),
            Point::new("m", 2).field("f", FieldValue::Float(1.0)),
        ];
        let err = check(&Catalog::default(), &Staged::default(), &points).unwrap_err();
        assert!(
            err.to_string()
                .contains("`f` of measurement `m` holds integer"),
            "{err}"
        );
    }

    #[test]
    fn non_finite_floats_and_empty_points_are_rejected() {
        for point in [
            Point::new("m", 1).field("f", FieldValue::Float(f64::NAN)),
            Point::new("m", 1),
            Point::new("", 1).field("f", FieldValue::Int(1)),
            Point::new("m", 1)
                .tag("", "v")
                .field("f", FieldValue::Int(1)),
        ] {
            assert!(check_point(&point).is_err(), "{point:?}");
        }
    }

    #[test]
    fn the_series_cache_answers_only_when_both_hashes_agree() {
        let mut ids = IdsByHash::default();
        let a = KeyHash { word: 7, check: 1 };
        remember(&mut ids, a, 42);
        assert_eq!(cached(&ids, a), Some(42));
        // Same 64-bit word, another series: not mistaken for `a`, read from the table.
        let b = KeyHash { word: 7, check: 2 };
        assert_eq!(cached(&ids, b), None);
        remember(&mut ids, b, 43);
        assert_eq!((cached(&ids, a), cached(&ids, b)), (None, Some(43)));
        // Ids beyond 32 bits are not cached.
        let c = KeyHash { word: 8, check: 1 };
        remember(&mut ids, c, u64::from(u32::MAX) + 1);
        assert_eq!(cached(&ids, c), None);
        let keys = SeriesIds::default();
        assert_eq!(keys.hash(b"cpu"), keys.hash(b"cpu"));
        assert_ne!(keys.hash(b"cpu"), keys.hash(b"cpv"));
    }
}
