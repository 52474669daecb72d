//! Path and query canonicalisation: never panics, is idempotent (the
//! canonical form canonicalises to itself), and the stack-array sort agrees
//! with the selection sort.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sigv4_core::__fuzz::{canonical_path, canonical_query, canonical_query_by_selection};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let split = rest.iter().position(|&b| b == b'?').unwrap_or(rest.len());
    let (path, query) = rest.split_at(split);
    let query = query.get(1..).unwrap_or_default();

    if let Ok(path) = std::str::from_utf8(path) {
        let normalize = flags & 1 != 0;
        let double = flags & 2 != 0;
        if let Ok(once) = canonical_path(path, normalize, false)
            && !double
        {
            // Single encoding leaves the (normalised) path as it is.
            let once = String::from_utf8(once).expect("canonical path is UTF-8");
            assert_eq!(
                canonical_path(&once, normalize, false).ok(),
                Some(once.into_bytes())
            );
        }
        let _ = canonical_path(path, normalize, true);
    }

    if let Ok(once) = canonical_query(query) {
        assert!(
            once.iter().all(|b| b.is_ascii_graphic()),
            "canonical query is encoded"
        );
        assert_eq!(
            canonical_query(&once).as_deref().ok(),
            Some(&once[..]),
            "idempotent"
        );
        assert_eq!(
            canonical_query_by_selection(query).ok(),
            Some(once),
            "same order"
        );
    }
});
