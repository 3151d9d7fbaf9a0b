//! Gives libims.so the SONAME a distribution expects (the one cargo-c would set): for 0.x,
//! `libims.so.0.MINOR` (a new minor version may break the ABI); from 1.0 on, `libims.so.MAJOR`.
//! scripts/install-c.sh installs the file as `libims.so.MAJOR.MINOR.PATCH` with the SONAME and
//! `libims.so` as symlinks; scripts/abi-check.sh compares the ABI against the baseline of this
//! SONAME.

use std::env;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // ELF platforms only: the flag means nothing to the macOS or Windows linkers.
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if !matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd" | "dragonfly" | "illumos"
    ) {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_default();
    let soname = if major == "0" {
        format!("libims.so.0.{minor}")
    } else {
        format!("libims.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
}
