//! Any bytes through the script loader (UTF-8 check, bounded YAML reader, decoder, validator):
//! it must return diagnostics, never panic, and never grow without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let loaded = socius::script::load::load_bytes(std::path::Path::new("fuzz.yaml"), data);
    // Rendering the diagnostics is part of what `check` does with them.
    for d in &loaded.diagnostics {
        let _ = d.render("fuzz.yaml");
    }
});
