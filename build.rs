fn main() {
    napi_build::setup();
    // The cargo profile this addon is built with, for the marker in
    // src/build_marker.rs. OUT_DIR is <target>/[<triple>/]<profile>/build/<crate>-<hash>/out;
    // PROFILE would say "release" for every profile that inherits release (dev-opt too).
    let out_dir = std::env::var("OUT_DIR").unwrap_or_default();
    let profile = std::path::Path::new(&out_dir)
        .ancestors()
        .nth(3)
        .and_then(|p| p.file_name())
        .and_then(|name| name.to_str())
        .unwrap_or("unknown")
        .to_string();
    println!("cargo:rustc-env=GENESYS_CLEANUP_BUILD_PROFILE={profile}");
}
