//! Publisher signatures: an ed25519 signature, written into `plugin.toml`, over
//! the component's SHA-256, the plugin's name and its version.
//!
//! The digest already pins the exact `.wasm` to its manifest; the signature
//! says who vouches for that pair. A host configured with trusted publisher
//! keys (`plugins.trusted_keys`: key id to public key) installs and loads only
//! components signed by one of them, so a component changed after signing, or
//! signed by someone else, is refused with a message that says what to do.
//! A host without trusted keys ignores signatures.
//!
//! The signed bytes are a fixed text, so anyone can check a signature with any
//! ed25519 tool:
//!
//! ```text
//! redress-plugin-signature-v1
//! name=<name>
//! version=<version>
//! sha256=<lower-case hex digest of the .wasm>
//! ```

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use toml_edit::{DocumentMut, Item, Table, value};

use crate::error::ManifestError;
use crate::manifest::{Manifest, ManifestSignature, validate_key_id};

/// First line of the signed text; changes if the signed fields ever do.
const CONTEXT: &str = "redress-plugin-signature-v1";

/// The exact bytes a publisher signs for a component.
pub fn signed_message(name: &str, version: &semver::Version, sha256_hex: &str) -> Vec<u8> {
    format!("{CONTEXT}\nname={name}\nversion={version}\nsha256={sha256_hex}\n").into_bytes()
}

/// Why a signature, a key or a key file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The host trusts publisher keys and the manifest carries no signature.
    #[error(
        "the plugin is not signed, and this host installs only plugins signed by a publisher in \
         plugins.trusted_keys: ask the publisher for a manifest signed with `redress plugin sign`"
    )]
    Unsigned,
    /// The signing key is not one the host trusts.
    #[error(
        "the plugin is signed with key id {key_id:?}, which is not in plugins.trusted_keys: if you \
         trust this publisher, add their public key under that id and restart; otherwise do not \
         install it"
    )]
    UnknownKey {
        /// The key id the manifest names.
        key_id: String,
    },
    /// The signature does not match the component, name and version.
    #[error(
        "the signature by key {key_id:?} does not match this component, name and version: the \
         .wasm or plugin.toml was changed after signing; get the publisher's original files, or \
         ask them to sign again"
    )]
    Mismatch {
        /// The key id the manifest names.
        key_id: String,
    },
    /// A configured public key cannot be used.
    #[error(
        "trusted key {key_id:?} is not an ed25519 public key ({reason}): copy the public key \
         `redress plugin keygen` printed, in base64"
    )]
    InvalidTrustedKey {
        /// The key id in the settings.
        key_id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A secret key file cannot be read.
    #[error(
        "the key file is not a redress signing key ({0}): use a file `redress plugin keygen` wrote"
    )]
    KeyFile(String),
}

/// A publisher's signing key: a key id and an ed25519 secret key. Its file is
/// written by `redress plugin keygen` and must stay private.
pub struct PublisherKey {
    key_id: String,
    key: SigningKey,
}

impl std::fmt::Debug for PublisherKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublisherKey")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct KeyFile {
    key_id: String,
    secret_key: String,
}

impl PublisherKey {
    /// A new key from the operating system's random source.
    ///
    /// # Errors
    ///
    /// A key id that is not 1-64 lower-case letters, digits or '-', or no
    /// random source.
    pub fn generate(key_id: &str) -> Result<Self, SignatureError> {
        validate_key_id(key_id).map_err(|e| SignatureError::KeyFile(e.to_string()))?;
        let mut secret = [0u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut secret)
            .map_err(|e| SignatureError::KeyFile(format!("no random source: {e}")))?;
        Ok(Self {
            key_id: key_id.to_owned(),
            key: SigningKey::from_bytes(&secret),
        })
    }

    /// Reads a key file.
    ///
    /// # Errors
    ///
    /// [`SignatureError::KeyFile`] when the text is not a key file.
    pub fn parse(text: &str) -> Result<Self, SignatureError> {
        let file: KeyFile =
            toml::from_str(text).map_err(|e| SignatureError::KeyFile(e.message().to_owned()))?;
        validate_key_id(&file.key_id).map_err(|e| SignatureError::KeyFile(e.to_string()))?;
        let bytes = STANDARD
            .decode(file.secret_key.trim())
            .map_err(|_| SignatureError::KeyFile("secret-key is not base64".into()))?;
        let secret: [u8; 32] = bytes
            .try_into()
            .map_err(|_| SignatureError::KeyFile("secret-key is not 32 bytes".into()))?;
        Ok(Self {
            key_id: file.key_id,
            key: SigningKey::from_bytes(&secret),
        })
    }

    /// The key file's text.
    pub fn to_file_text(&self) -> String {
        let file = KeyFile {
            key_id: self.key_id.clone(),
            secret_key: STANDARD.encode(self.key.to_bytes()),
        };
        format!(
            "# Redress plugin signing key. Keep this file private; share only the public key.\n{}",
            toml::to_string(&file).expect("a key file serializes")
        )
    }

    /// The key id hosts know this key by.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key, base64, as `plugins.trusted_keys` takes it.
    pub fn public_key_base64(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    /// Signs `wasm` for its manifest: writes the component's digest into
    /// `sha256` and a `[signature]` table into the manifest text, leaving the
    /// rest as the author wrote it. Returns the new text.
    ///
    /// # Errors
    ///
    /// A manifest that is not valid TOML or not a valid manifest once sealed.
    pub fn sign_manifest(&self, manifest_toml: &str, wasm: &[u8]) -> Result<String, ManifestError> {
        let sealed = seal_manifest(manifest_toml, wasm)?;
        let manifest = Manifest::parse(&sealed)?;
        let signature = self.key.sign(&signed_message(
            &manifest.name,
            &manifest.version,
            &manifest.sha256,
        ));
        let mut doc = document(&sealed)?;
        let mut table = Table::new();
        table["key-id"] = value(self.key_id.clone());
        table["ed25519"] = value(STANDARD.encode(signature.to_bytes()));
        doc["signature"] = Item::Table(table);
        let signed = doc.to_string();
        Manifest::parse(&signed)?;
        Ok(signed)
    }
}

fn document(text: &str) -> Result<DocumentMut, ManifestError> {
    text.parse::<DocumentMut>()
        .map_err(|e| ManifestError::Syntax(e.to_string()))
}

/// Writes `wasm`'s SHA-256 into the manifest's `sha256` (added when absent),
/// leaving every other line as the author wrote it. A signature made for
/// another digest is dropped: it could only fail to verify.
///
/// # Errors
///
/// A manifest that is not valid TOML.
pub fn seal_manifest(manifest_toml: &str, wasm: &[u8]) -> Result<String, ManifestError> {
    let digest = hex::encode(Sha256::digest(wasm));
    let mut doc = document(manifest_toml)?;
    let changed = doc.get("sha256").and_then(Item::as_str) != Some(digest.as_str());
    doc["sha256"] = value(digest);
    if changed {
        doc.remove("signature");
    }
    Ok(doc.to_string())
}

/// The publisher keys a host trusts, by key id.
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: BTreeMap<String, VerifyingKey>,
}

impl TrustedKeys {
    /// Keys from settings: key id to base64 public key.
    ///
    /// # Errors
    ///
    /// [`SignatureError::InvalidTrustedKey`] naming the first key that is not
    /// a valid key id and ed25519 public key.
    pub fn from_base64<'a>(
        keys: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, SignatureError> {
        let mut out = BTreeMap::new();
        for (key_id, text) in keys {
            let invalid = |reason: String| SignatureError::InvalidTrustedKey {
                key_id: key_id.to_owned(),
                reason,
            };
            validate_key_id(key_id).map_err(|e| invalid(e.to_string()))?;
            let bytes = STANDARD
                .decode(text.trim())
                .map_err(|_| invalid("not base64".into()))?;
            let bytes: [u8; 32] = bytes
                .try_into()
                .map_err(|_| invalid("not 32 bytes".into()))?;
            let key = VerifyingKey::from_bytes(&bytes).map_err(|e| invalid(e.to_string()))?;
            out.insert(key_id.to_owned(), key);
        }
        Ok(Self { keys: out })
    }

    /// Whether no key is trusted, in which case signatures are not required.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks the manifest's signature when keys are trusted; with none, any
    /// manifest passes.
    pub(crate) fn check(&self, manifest: &Manifest) -> Result<(), SignatureError> {
        if self.keys.is_empty() {
            return Ok(());
        }
        let ManifestSignature { key_id, ed25519 } = manifest
            .signature
            .as_ref()
            .ok_or(SignatureError::Unsigned)?;
        let key = self
            .keys
            .get(key_id)
            .ok_or_else(|| SignatureError::UnknownKey {
                key_id: key_id.clone(),
            })?;
        let message = signed_message(&manifest.name, &manifest.version, &manifest.sha256);
        key.verify(&message, &Signature::from_bytes(ed25519))
            .map_err(|_| SignatureError::Mismatch {
                key_id: key_id.clone(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WASM: &[u8] = b"\0asm component bytes for the test";

    fn manifest() -> String {
        "# written by hand\nname = \"acme-rules\"\nversion = \"1.2.0\"\nkind = \"compliance\"\n\
         regions = [\"UK\"]\nwit = \"0.1.0\"\n\n[config]\ntime-zone = \"Europe/London\"\n"
            .to_owned()
    }

    fn trusting(key: &PublisherKey) -> TrustedKeys {
        let public = key.public_key_base64();
        TrustedKeys::from_base64([(key.key_id(), public.as_str())]).unwrap()
    }

    #[test]
    fn a_signed_manifest_verifies_and_keeps_the_authors_text() {
        let key = PublisherKey::generate("acme").unwrap();
        let signed = key.sign_manifest(&manifest(), WASM).unwrap();
        assert!(signed.starts_with("# written by hand\n"), "{signed}");
        assert!(signed.contains("time-zone = \"Europe/London\""), "{signed}");
        let parsed = Manifest::parse(&signed).unwrap();
        assert_eq!(parsed.sha256, hex::encode(Sha256::digest(WASM)));
        assert_eq!(parsed.signature.as_ref().unwrap().key_id, "acme");
        trusting(&key).check(&parsed).unwrap();
        // Without trusted keys a signature is not needed, nor checked.
        TrustedKeys::default().check(&parsed).unwrap();
    }

    #[test]
    fn changing_the_component_or_the_version_breaks_the_signature() {
        let key = PublisherKey::generate("acme").unwrap();
        let signed = key.sign_manifest(&manifest(), WASM).unwrap();
        // Someone re-seals the manifest for other bytes but keeps the signature.
        let other = hex::encode(Sha256::digest(b"other bytes"));
        let mut doc = signed.parse::<DocumentMut>().unwrap();
        doc["sha256"] = value(other);
        let tampered = Manifest::parse(&doc.to_string()).unwrap();
        let err = trusting(&key).check(&tampered).unwrap_err();
        assert_eq!(
            err,
            SignatureError::Mismatch {
                key_id: "acme".into()
            }
        );
        assert!(err.to_string().contains("changed after signing"), "{err}");
        let bumped = Manifest::parse(&signed.replace("1.2.0", "1.2.1")).unwrap();
        assert!(matches!(
            trusting(&key).check(&bumped),
            Err(SignatureError::Mismatch { .. })
        ));
    }

    #[test]
    fn unknown_signers_and_unsigned_manifests_are_refused_when_keys_are_trusted() {
        let ours = PublisherKey::generate("acme").unwrap();
        let theirs = PublisherKey::generate("mallory").unwrap();
        let signed = Manifest::parse(&theirs.sign_manifest(&manifest(), WASM).unwrap()).unwrap();
        let err = trusting(&ours).check(&signed).unwrap_err();
        assert!(matches!(err, SignatureError::UnknownKey { ref key_id } if key_id == "mallory"));
        assert!(err.to_string().contains("plugins.trusted_keys"), "{err}");
        // The same key id with another key is a mismatch, not a pass.
        let impostor = PublisherKey::generate("acme").unwrap();
        let signed = Manifest::parse(&impostor.sign_manifest(&manifest(), WASM).unwrap()).unwrap();
        assert!(matches!(
            trusting(&ours).check(&signed),
            Err(SignatureError::Mismatch { .. })
        ));
        let unsigned = Manifest::parse(&seal_manifest(&manifest(), WASM).unwrap()).unwrap();
        let err = trusting(&ours).check(&unsigned).unwrap_err();
        assert_eq!(err, SignatureError::Unsigned);
        assert!(err.to_string().contains("redress plugin sign"), "{err}");
    }

    #[test]
    fn key_files_round_trip_and_resealing_drops_a_stale_signature() {
        let key = PublisherKey::generate("acme-2026").unwrap();
        let again = PublisherKey::parse(&key.to_file_text()).unwrap();
        assert_eq!(again.key_id(), "acme-2026");
        assert_eq!(again.public_key_base64(), key.public_key_base64());
        assert!(PublisherKey::parse("key-id = \"x\"\nsecret-key = \"AAAA\"\n").is_err());
        assert!(PublisherKey::generate("Not An Id").is_err());

        let signed = key.sign_manifest(&manifest(), WASM).unwrap();
        let same = seal_manifest(&signed, WASM).unwrap();
        assert!(Manifest::parse(&same).unwrap().signature.is_some());
        let rebuilt = seal_manifest(&signed, b"rebuilt component").unwrap();
        assert!(Manifest::parse(&rebuilt).unwrap().signature.is_none());
    }

    #[test]
    fn trusted_keys_are_checked_when_read() {
        let err = TrustedKeys::from_base64([("acme", "not base64!")]).unwrap_err();
        assert!(matches!(err, SignatureError::InvalidTrustedKey { .. }));
        let err = TrustedKeys::from_base64([("acme", "AAAA")]).unwrap_err();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
