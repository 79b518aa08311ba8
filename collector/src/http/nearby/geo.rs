//! Distance between two points on the Earth (what PostGIS's geography `Distance` gives the
//! reference, on a sphere rather than the WGS 84 spheroid: within 0.5 %).

/// The mean Earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two (latitude, longitude) points in degrees
/// (haversine).
pub fn distance_m(lat1: f64, lng1: f64, lat2: f64, lng2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lng2 - lng1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::distance_m;
    use proptest::prelude::*;

    #[test]
    fn known_distances() {
        // One degree of latitude is about 111.2 km on this sphere.
        assert!((distance_m(0.0, 0.0, 1.0, 0.0) - 111_195.0).abs() < 5.0);
        // Rome (Colosseum) to Milan (Duomo): about 477 km.
        let d = distance_m(41.8902, 12.4922, 45.4642, 9.1900);
        assert!((d - 477_000.0).abs() < 3_000.0, "{d}");
        // Antipodes: half the circumference.
        let half = std::f64::consts::PI * 6_371_008.8;
        assert!((distance_m(0.0, 0.0, 0.0, 180.0) - half).abs() < 1.0);
    }

    proptest! {
        #[test]
        fn symmetric_non_negative_and_zero_on_itself(
            a in -90.0_f64..90.0, b in -180.0_f64..180.0,
            c in -90.0_f64..90.0, d in -180.0_f64..180.0,
        ) {
            let x = distance_m(a, b, c, d);
            prop_assert!(x >= 0.0 && x.is_finite());
            prop_assert!((x - distance_m(c, d, a, b)).abs() < 1e-6);
            prop_assert!(distance_m(a, b, a, b) < 1e-6);
        }
    }
}
