//! Encryption of personal data at rest, and the keyed blind index that lets the narrative
//! be searched without storing it in the clear.
//!
//! Each data subject (a customer, and every complaint on its own) has a data key: 32
//! random bytes, stored only wrapped (AES-256-GCM) under a master key from configuration,
//! with the master key's id beside it (`data_keys`). A personal value is stored as
//! `v1:<data key id>:<base64(nonce || ciphertext)>`, AES-256-GCM with the column name as
//! associated data, so a value cannot be moved to another column unnoticed. Destroying a
//! data key makes every value under it unreadable wherever it is left, history included:
//! that is how erasure works on append-only tables (crypto-shredding).
//!
//! The blind index: each word of a narrative, lowercased and stemmed (English Snowball),
//! becomes `hex(HMAC-SHA256(index key, word))[..16]`. Search asks for the same tokens. The
//! database never sees the words, only which complaints share a token.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::config::SecuritySettings;

const PREFIX: &str = "v1:";

/// Why the keys cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("security.master_keys.{0} must be 32 bytes in standard base64")]
    BadMaster(String),
    #[error("security.active_master_key names no key in security.master_keys")]
    NoActive,
    #[error("security.index_key must be 32 bytes in standard base64")]
    BadIndex,
    #[error("cannot read or write the key file {path}: {reason}")]
    File { path: String, reason: String },
}

/// The master keys and the index key.
#[derive(Clone)]
pub struct Keyring {
    masters: HashMap<String, [u8; 32]>,
    active: String,
    index: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("active", &self.active)
            .finish_non_exhaustive()
    }
}

/// The key file `redress` writes when no keys are configured.
#[derive(Serialize, Deserialize)]
struct KeyFile {
    master_keys: HashMap<String, String>,
    active_master_key: String,
    index_key: String,
}

fn key32(text: &str) -> Option<[u8; 32]> {
    STANDARD.decode(text.trim()).ok()?.try_into().ok()
}

fn random32() -> [u8; 32] {
    let mut k = [0u8; 32];
    rand::rng().fill_bytes(&mut k);
    k
}

impl Keyring {
    /// Fresh random keys that live as long as the process: for tests and benchmarks. Data
    /// written with them cannot be read after a restart.
    pub fn ephemeral() -> Self {
        let mut masters = HashMap::new();
        masters.insert("m1".to_owned(), random32());
        Self {
            masters,
            active: "m1".into(),
            index: random32(),
        }
    }

    /// The configured keys; when none are configured, the key file, created with fresh
    /// keys (mode 0600) when missing.
    ///
    /// # Errors
    /// Malformed keys, or a key file that cannot be read or written.
    pub fn load(settings: &SecuritySettings) -> Result<Self, KeyError> {
        if !settings.master_keys.is_empty() {
            let mut masters = HashMap::new();
            for (id, text) in &settings.master_keys {
                masters.insert(
                    id.clone(),
                    key32(text).ok_or_else(|| KeyError::BadMaster(id.clone()))?,
                );
            }
            let active = settings
                .active_master_key
                .clone()
                .or_else(|| {
                    (masters.len() == 1)
                        .then(|| masters.keys().next().cloned())
                        .flatten()
                })
                .filter(|a| masters.contains_key(a))
                .ok_or(KeyError::NoActive)?;
            let index = settings
                .index_key
                .as_deref()
                .and_then(key32)
                .ok_or(KeyError::BadIndex)?;
            return Ok(Self {
                masters,
                active,
                index,
            });
        }
        Self::from_file(&settings.key_file)
    }

    fn from_file(path: &Path) -> Result<Self, KeyError> {
        let fail = |reason: String| KeyError::File {
            path: path.display().to_string(),
            reason,
        };
        let file: KeyFile = match std::fs::read_to_string(path) {
            Ok(text) => serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let id = "m1".to_owned();
                let file = KeyFile {
                    master_keys: [(id.clone(), STANDARD.encode(random32()))].into(),
                    active_master_key: id,
                    index_key: STANDARD.encode(random32()),
                };
                let text = serde_json::to_string_pretty(&file).map_err(|e| fail(e.to_string()))?;
                let kept = create_once(path, &text).map_err(|e| fail(e.to_string()))?;
                if kept != text {
                    // Another process created the file first: its keys are the keys.
                    serde_json::from_str(&kept).map_err(|e| fail(e.to_string()))?
                } else {
                    tracing::warn!(path = %path.display(), "created new data encryption keys; back this file up, without it personal data cannot be read");
                    file
                }
            }
            Err(e) => return Err(fail(e.to_string())),
        };
        let mut masters = HashMap::new();
        for (id, text) in &file.master_keys {
            masters.insert(
                id.clone(),
                key32(text).ok_or_else(|| KeyError::BadMaster(id.clone()))?,
            );
        }
        if !masters.contains_key(&file.active_master_key) {
            return Err(KeyError::NoActive);
        }
        Ok(Self {
            masters,
            active: file.active_master_key,
            index: key32(&file.index_key).ok_or(KeyError::BadIndex)?,
        })
    }

    /// The id of the master key new data keys are wrapped with.
    pub fn active_master(&self) -> &str {
        &self.active
    }

    /// A new data key and its wrapped form for `data_keys`.
    pub fn new_data_key(&self) -> (DataKey, WrappedKey) {
        let mut id = [0u8; 12];
        rand::rng().fill_bytes(&mut id);
        let key = DataKey {
            id: format!("dk{}", hex::encode(id)),
            key: random32(),
        };
        let wrapped = self.wrap(&key);
        (key, wrapped)
    }

    /// Wraps a data key under the active master key.
    pub fn wrap(&self, key: &DataKey) -> WrappedKey {
        let master = &self.masters[&self.active];
        WrappedKey {
            id: key.id.clone(),
            master_key_id: self.active.clone(),
            wrapped: seal(master, &key.id, &key.key),
        }
    }

    /// Unwraps a stored data key; None when the master key is unknown or the value forged.
    pub fn unwrap_key(&self, id: &str, master_key_id: &str, wrapped: &str) -> Option<DataKey> {
        let master = self.masters.get(master_key_id)?;
        let bytes = open(master, id, wrapped)?;
        Some(DataKey {
            id: id.to_owned(),
            key: bytes.try_into().ok()?,
        })
    }

    /// The blind token of one already normalised word.
    fn token(&self, word: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("any key length");
        mac.update(word.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..8])
    }

    /// The blind tokens of a text, each once, space-separated: what the search index holds.
    pub fn terms(&self, text: &str) -> String {
        let tokens: BTreeSet<String> = words(text).iter().map(|w| self.token(w)).collect();
        tokens.into_iter().collect::<Vec<_>>().join(" ")
    }

    /// The blind tokens to search for, in query order.
    pub fn query_terms(&self, q: &str) -> Vec<String> {
        words(q).iter().map(|w| self.token(w)).collect()
    }

    /// A keyed fingerprint of an identifier, for exact lookups (customer numbers).
    pub fn blind_index(&self, scope: &str, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index).expect("any key length");
        mac.update(scope.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

/// Lowercased, stemmed words of a text.
fn words(text: &str) -> Vec<String> {
    let stemmer = rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::English);
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| stemmer.stem(&w.to_lowercase()).into_owned())
        .collect()
}

/// A data key in the clear, only in memory.
#[derive(Clone)]
pub struct DataKey {
    pub id: String,
    key: [u8; 32],
}

/// A data key as stored.
#[derive(Debug, Clone)]
pub struct WrappedKey {
    pub id: String,
    pub master_key_id: String,
    pub wrapped: String,
}

impl DataKey {
    /// `v1:<key id>:<base64(nonce || ciphertext)>`, bound to `column`.
    pub fn encrypt(&self, column: &str, plaintext: &str) -> String {
        format!(
            "{PREFIX}{}:{}",
            self.id,
            seal(&self.key, column, plaintext.as_bytes())
        )
    }

    /// The plaintext of a value this key wrote for `column`; values written before
    /// encryption (no `v1:` prefix) come back as they are.
    pub fn decrypt(&self, column: &str, value: &str) -> Option<String> {
        let Some(rest) = value.strip_prefix(PREFIX) else {
            return Some(value.to_owned());
        };
        let (id, sealed) = rest.split_once(':')?;
        if id != self.id {
            return None;
        }
        String::from_utf8(open(&self.key, column, sealed)?).ok()
    }
}

/// The data key id a stored value names, if it is encrypted.
pub fn key_id_of(value: &str) -> Option<&str> {
    value
        .strip_prefix(PREFIX)?
        .split_once(':')
        .map(|(id, _)| id)
}

fn seal(key: &[u8; 32], aad: &str, plaintext: &[u8]) -> String {
    let cipher = Aes256Gcm::new_from_slice(key).expect("32-byte key");
    let mut nonce = [0u8; 12];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .expect("AES-GCM encrypts any length we store");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    STANDARD.encode(out)
}

fn open(key: &[u8; 32], aad: &str, sealed: &str) -> Option<Vec<u8>> {
    let bytes = STANDARD.decode(sealed).ok()?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let (nonce, ciphertext) = bytes.split_at(12);
    let nonce: [u8; 12] = nonce.try_into().ok()?;
    Aes256Gcm::new_from_slice(key)
        .ok()?
        .decrypt(
            &Nonce::from(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .ok()
}

/// Creates `path` holding `text`, readable by its owner only, unless it exists already;
/// answers with what the file holds afterwards. Replicas starting together on a fresh
/// directory all end up with the same keys: each writes its text whole under a name of its
/// own, then links it into place, which only the first link does.
pub(crate) fn create_once(path: &Path, text: &str) -> std::io::Result<String> {
    use std::io::Write;
    let staging = path.with_extension(format!(
        "tmp-{}-{}",
        std::process::id(),
        hex::encode(random32())
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options
        .open(&staging)
        .and_then(|mut f| f.write_all(text.as_bytes()).and_then(|()| f.sync_all()));
    let linked = written.and_then(|()| std::fs::hard_link(&staging, path));
    let _ = std::fs::remove_file(&staging);
    match linked {
        Ok(()) => Ok(text.to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_and_refuse_another_key_or_column() {
        let ring = Keyring::ephemeral();
        let (key, wrapped) = ring.new_data_key();
        let stored = key.encrypt("narrative", "I was charged twice.");
        assert!(stored.starts_with(&format!("v1:{}:", key.id)));
        assert!(!stored.contains("charged"));
        assert_eq!(
            key.decrypt("narrative", &stored).as_deref(),
            Some("I was charged twice.")
        );
        assert_eq!(key.decrypt("name", &stored), None, "bound to its column");
        let (other, _) = ring.new_data_key();
        assert_eq!(other.decrypt("narrative", &stored), None);
        let back = ring
            .unwrap_key(&wrapped.id, &wrapped.master_key_id, &wrapped.wrapped)
            .unwrap();
        assert_eq!(
            back.decrypt("narrative", &stored).as_deref(),
            Some("I was charged twice.")
        );
        assert!(
            Keyring::ephemeral()
                .unwrap_key(&wrapped.id, "m1", &wrapped.wrapped)
                .is_none()
        );
        assert_eq!(
            key.decrypt("narrative", "legacy plain text").as_deref(),
            Some("legacy plain text")
        );
    }

    #[test]
    fn blind_terms_match_word_forms_and_hide_the_words() {
        let ring = Keyring::ephemeral();
        let stored = ring.terms("The bank CHARGED me; charges again!");
        let q = ring.query_terms("charge");
        assert_eq!(q.len(), 1);
        assert!(stored.split(' ').any(|t| t == q[0]));
        assert!(!stored.contains("charg"));
        assert_ne!(Keyring::ephemeral().query_terms("charge"), q, "keyed");
    }
}
