//! Generated bindings, one module per `ils:platform` version the host links. Private: the
//! current version's (`latest`) `Host` impls call the capabilities; an older version's impls
//! call the current version's and convert (Zed's shape), and each version's `convert.rs`
//! converts its export types to the shared records (`ils-records`).

mod http;
pub(crate) mod v0_1_0;
pub(crate) mod v0_2_0;

pub(crate) use v0_2_0 as latest;

use semver::Version;

/// The `ils:platform` versions this host links, newest last.
pub(crate) fn supported() -> Vec<Version> {
    vec![v0_1_0::VERSION, v0_2_0::VERSION]
}

/// The versions as users read them: `0.1.x, 0.2.x`.
pub(crate) fn supported_text() -> String {
    supported().iter().map(|v| format!("{}.{}.x", v.major, v.minor)).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// Released WIT versions are frozen: their files must match the recorded hashes.
    #[test]
    fn released_wit_is_unchanged() {
        for version in super::supported() {
            let name = format!("v{version}");
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit").join(&name);
            let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
            let mut checked = 0;
            for line in sums.lines() {
                let (hash, file) = line.split_once("  ").unwrap();
                let bytes = std::fs::read(dir.join(file)).unwrap();
                assert_eq!(
                    hex::encode(Sha256::digest(&bytes)),
                    hash,
                    "wit/{name}/{file} changed; add a new version instead"
                );
                checked += 1;
            }
            let on_disk = std::fs::read_dir(&dir)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "wit"))
                .count()
                + std::fs::read_dir(dir.join("deps")).unwrap().count();
            assert_eq!(checked, on_disk, "every WIT file of {name} is listed in SHA256SUMS");
        }
    }
}
