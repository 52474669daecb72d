//! The shared config/credentials parser and profile resolution: never a
//! panic, and resolution always ends (cycles are errors).
#![no_main]

use cred_providers::profile::{ProfileSet, Source, resolve};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (config, credentials) = text.split_once('\u{0}').unwrap_or((&text, ""));
    let Ok(set) = ProfileSet::parse(
        Some(Source {
            text: config,
            path: None,
        }),
        Some(Source {
            text: credentials,
            path: None,
        }),
    ) else {
        return;
    };
    let names: Vec<String> = set.profiles().map(|p| p.name().to_string()).collect();
    for name in names.iter().take(8) {
        let _ = resolve(&set, name);
    }
});
