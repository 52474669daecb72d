//! The no-alloc path allocates nothing: counted through a global allocator.

use core::sync::atomic::{AtomicUsize, Ordering};
use std::alloc::{GlobalAlloc, Layout, System};

use sigv4_core::{
    CredentialsRef, Payload, Request, SharedSigner, Signer, SigningParams, Timestamp, Verifier,
};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const BODY: &[u8] = br#"{"query":{"match":{"title":"sigv4"}}}"#;
const URL: &str =
    "https://search-domain.ap-northeast-1.es.amazonaws.com/my-index/_search?size=10&from=0";

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    f();
    ALLOCATIONS.load(Ordering::SeqCst) - before
}

// One test function, so no other test thread allocates while counting.
#[test]
fn signing_presigning_and_verifying_allocate_nothing() {
    let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
        .with_session_token("IQoJb3JpZ2luX2VjEXAMPLETOKEN");
    let now: Timestamp = "20260101T000000Z".parse().unwrap();
    let params = SigningParams::new("ap-northeast-1", "es", now);
    let mut signer = Signer::new();
    let mut verifier = Verifier::default();
    // Warm up: the first signature of the day derives the key (and the
    // shared signer's first use sets up the thread's slot in its lock-free
    // snapshot); the first presignature with a session token keeps the
    // token's encoding (two allocations, once per token).
    let shared = SharedSigner::new();
    let warm_up = Request::new("GET", URL).unwrap();
    let mut warm = [0u8; 512];
    signer.sign(&warm_up, &creds, &params, &mut warm).unwrap();
    shared.sign(&warm_up, &creds, &params, &mut warm).unwrap();
    let mut warm_query = [0u8; 1024];
    let first_presign = allocations_during(|| {
        signer
            .presign(&warm_up, &creds, &params, 900, &mut warm_query)
            .unwrap();
    });
    assert_eq!(first_presign, 2, "the token and its encoding, once");

    for round in 0..3 {
        let n = allocations_during(|| {
            let headers = [
                ("content-type", "application/json"),
                ("user-agent", "bench/1.0"),
                ("accept", "*/*"),
            ];
            let req = Request::new("POST", URL)
                .unwrap()
                .with_headers(&headers)
                .with_payload(Payload::Bytes(BODY));
            let mut buf = [0u8; 512];
            let out = signer.sign(&req, &creds, &params, &mut buf).unwrap();
            assert_eq!(out.signature().len(), 64);
            let mut sbuf = [0u8; 512];
            let from_shared = shared.sign(&req, &creds, &params, &mut sbuf).unwrap();
            assert_eq!(from_shared.signature(), out.signature());

            let mut qbuf = [0u8; 1024];
            let q = signer
                .presign(&req, &creds, &params, 900, &mut qbuf)
                .unwrap();
            assert!(q.query().contains("X-Amz-Signature="));

            let date = out.date();
            let received_headers = [
                ("content-type", "application/json"),
                ("user-agent", "bench/1.0"),
                ("accept", "*/*"),
                ("x-amz-date", date.as_str()),
                ("x-amz-security-token", "IQoJb3JpZ2luX2VjEXAMPLETOKEN"),
                ("authorization", out.authorization()),
            ];
            let received = req.clone().with_headers(&received_headers);
            let ok = verifier
                .verify(&received, now, |_| {
                    Some("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
                })
                .unwrap();
            assert_eq!(ok.access_key_id.as_str(), "AKIDEXAMPLE");
        });
        assert_eq!(n, 0, "round {round}: {n} heap allocations");
    }
    // The counter works: an owned signature does allocate.
    let req = Request::new("GET", URL).unwrap();
    assert!(allocations_during(|| drop(signer.sign_owned(&req, &creds, &params))) > 0);
}
