//! A `no_std` consumer of `sigv4-core`. If anything in the dependency tree
//! linked `std`, this static library would fail to build with a duplicate
//! `panic_impl` lang item, because it defines its own panic handler.
#![no_std]

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::sync::atomic::{AtomicUsize, Ordering};

use sigv4_core::{CredentialsRef, Request, Signer, SigningParams, Timestamp};

#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    loop {}
}

/// The prebuilt `core`/`alloc` refer to the unwinder's personality routine;
/// with `panic = "abort"` it is never called.
#[unsafe(no_mangle)]
extern "C" fn rust_eh_personality() {}

/// A bump allocator over a static arena (never frees).
struct Bump {
    arena: UnsafeCell<[u8; 1 << 16]>,
    next: AtomicUsize,
}

// SAFETY: allocation hands out disjoint ranges through an atomic cursor.
unsafe impl Sync for Bump {}

// SAFETY: every returned block lies inside the arena, is aligned as asked,
// and is never handed out twice.
unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let base = self.arena.get() as usize;
        let mut cur = self.next.load(Ordering::Relaxed);
        loop {
            let start = (base + cur).next_multiple_of(layout.align()) - base;
            let end = start + layout.size();
            if end > 1 << 16 {
                return core::ptr::null_mut();
            }
            match self
                .next
                .compare_exchange(cur, end, Ordering::Relaxed, Ordering::Relaxed)
            {
                Ok(_) => return (base + start) as *mut u8,
                Err(now) => cur = now,
            }
        }
    }

    unsafe fn dealloc(&self, _: *mut u8, _: Layout) {}
}

#[global_allocator]
static ALLOCATOR: Bump = Bump {
    arena: UnsafeCell::new([0; 1 << 16]),
    next: AtomicUsize::new(0),
};

/// Signs the official suite's `get-vanilla` request; returns 1 when the
/// signature is the expected one.
#[unsafe(no_mangle)]
pub extern "C" fn sigv4_nostd_check() -> i32 {
    let Ok(req) = Request::new("GET", "https://example.amazonaws.com/") else {
        return 0;
    };
    let Ok(time) = "20150830T123600Z".parse::<Timestamp>() else {
        return 0;
    };
    let creds = CredentialsRef::new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    let params = SigningParams::new("us-east-1", "service", time);
    let mut buf = [0u8; 512];
    let v4 = match Signer::new().sign(&req, &creds, &params, &mut buf) {
        Ok(out) => {
            out.signature() == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        }
        Err(_) => false,
    };
    i32::from(v4 && streaming())
}

#[cfg(not(feature = "streaming"))]
fn streaming() -> bool {
    true
}

/// The suite's SigV4a public key, and the S3 documentation's final chunk
/// signature (chained from the one before it).
#[cfg(feature = "streaming")]
fn streaming() -> bool {
    use sigv4_core::SigV4aKey;
    use sigv4_core::chunked::{Checksum, ChecksumAlgorithm, ChunkSigner, StreamingMode};
    let Ok(key) = SigV4aKey::derive("AKIDEXAMPLE", b"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    else {
        return false;
    };
    let public = key.public_key().to_uncompressed();
    let v4a = public[..4] == [0x04, 0xb6, 0x61, 0x8f];
    let Ok(time) = "20130524T000000Z".parse::<Timestamp>() else {
        return false;
    };
    let creds = CredentialsRef::new(
        "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    );
    let params = SigningParams::new("us-east-1", "s3", time);
    let previous = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
    let Ok(mut chunks) = ChunkSigner::hmac(&creds, &params, previous, StreamingMode::Signed, None)
    else {
        return false;
    };
    let chunked = chunks.finish().is_ok_and(|end| {
        end == "0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n"
    });
    // The portable CRC-32C (the table; `hw-crc32c` needs std): the
    // catalogue's check value of "123456789", 0xE3069283.
    let mut crc = Checksum::new(ChecksumAlgorithm::Crc32c);
    crc.update(b"123456789");
    let crc32c = crc.value().as_str() == "4waSgw==";
    v4a && chunked && crc32c
}
