//! Embeds Forge's manifest schema without its layout whitespace.
//!
//! The pinned file (`data/forge-manifest/manifest-schema.json`) stays byte for byte as published,
//! so that an update reads as a diff. What the binary carries is the same JSON with the
//! whitespace between tokens removed: a third of the size, so reading it on first use (every
//! `apptrust check` process does) costs a third of the time. Member order is kept exactly, since
//! nothing is parsed here.

use std::path::PathBuf;

fn main() {
    let source = PathBuf::from("data/forge-manifest/manifest-schema.json");
    println!("cargo::rerun-if-changed={}", source.display());
    let text = std::fs::read(&source).expect("read the pinned Forge schema");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR is set by cargo"))
        .join("manifest-schema.min.json");
    std::fs::write(&out, minify(&text)).expect("write the minified schema");
}

/// Removes whitespace outside JSON strings.
fn minify(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() / 2);
    let (mut in_string, mut escaped) = (false, false);
    for &byte in text {
        if in_string {
            out.push(byte);
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
        } else if byte == b'"' {
            in_string = true;
            out.push(byte);
        } else if !byte.is_ascii_whitespace() {
            out.push(byte);
        }
    }
    out
}
