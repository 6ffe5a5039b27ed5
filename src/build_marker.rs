//! The cargo profile this addon was built with, as text in the binary:
//! `scripts/npm-artifacts.js` refuses to package an addon whose marker does
//! not say `release` (the LTO, stripped profile), so a dev-opt or debug build
//! left in the checkout cannot be published. The profile comes from build.rs.

/// `genesys-cleanup-build-profile=<profile>;`, searched for byte by byte.
static MARKER: &str = concat!(
    "genesys-cleanup-build-profile=",
    env!("GENESYS_CLEANUP_BUILD_PROFILE"),
    ";"
);

/// Runs when the addon loads; the reference keeps the marker in the binary
/// (the linker drops data no code reaches).
#[napi_derive::module_init]
fn keep_marker() {
    std::hint::black_box(MARKER.as_ptr());
}
