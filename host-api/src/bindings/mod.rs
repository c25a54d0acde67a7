//! Generated bindings, one module per `ils:platform` version the host links. Private: each
//! version's `convert.rs` converts them to the shared records (`ils-records`) and the host's own
//! types, and nothing else sees them.

pub(crate) mod v0_1_0;

use semver::Version;

/// The `ils:platform` versions this host links, newest last.
pub(crate) fn supported() -> Vec<Version> {
    vec![v0_1_0::VERSION]
}

#[cfg(test)]
mod tests {
    use sha2::{Digest, Sha256};

    /// Released WIT versions are frozen: their files must match the recorded hashes.
    #[test]
    fn released_wit_is_unchanged() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit/v0.1.0");
        let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
        let mut checked = 0;
        for line in sums.lines() {
            let (hash, file) = line.split_once("  ").unwrap();
            let bytes = std::fs::read(dir.join(file)).unwrap();
            assert_eq!(
                hex::encode(Sha256::digest(&bytes)),
                hash,
                "wit/v0.1.0/{file} changed; add a new version instead"
            );
            checked += 1;
        }
        let on_disk = std::fs::read_dir(&dir)
            .unwrap()
            .filter(|e| e.as_ref().unwrap().path().extension().is_some_and(|x| x == "wit"))
            .count()
            + std::fs::read_dir(dir.join("deps")).unwrap().count();
        assert_eq!(checked, on_disk, "every WIT file is listed in SHA256SUMS");
    }
}
