//! The `plugin.toml` manifest an operator ships next to a plugin's `.wasm`.
//!
//! The manifest is what the host trusts *before* it has looked inside the
//! component: which regions the plugin claims, which contract version it was
//! built against, the digest that pins the exact bytes, and the capabilities
//! the operator is asked to grant. Every field is validated here so that a
//! typo is reported with the field's name instead of surfacing later as a
//! confusing runtime failure.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use semver::Version;
use serde::Deserialize;

use crate::error::ManifestError;

/// The file name of a manifest inside a plugin's version directory.
pub const MANIFEST_FILE: &str = "plugin.toml";

/// What a plugin does, which decides the world it must export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PluginKind {
    /// Regional complaint rules (`compliance-plugin` world).
    Compliance,
    /// Letter rendering (`localization-plugin` world).
    Localization,
    /// Classification (`triage-plugin` world).
    Triage,
    /// Customer care (`care-plugin` world).
    Care,
}

impl PluginKind {
    /// The manifest spelling of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            PluginKind::Compliance => "compliance",
            PluginKind::Localization => "localization",
            PluginKind::Triage => "triage",
            PluginKind::Care => "care",
        }
    }

    /// The WIT interface (without version) a component of this kind must export.
    pub fn export_interface(self) -> &'static str {
        match self {
            PluginKind::Compliance => "redress:plugin/compliance",
            PluginKind::Localization => "redress:plugin/localization",
            PluginKind::Triage => "redress:plugin/triage",
            PluginKind::Care => "redress:plugin/care",
        }
    }
}

impl fmt::Display for PluginKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PluginKind {
    type Err = ManifestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "compliance" => Ok(PluginKind::Compliance),
            "localization" => Ok(PluginKind::Localization),
            "triage" => Ok(PluginKind::Triage),
            "care" => Ok(PluginKind::Care),
            other => Err(ManifestError::invalid(
                "kind",
                format!("{other:?} is not one of compliance, localization, triage, care"),
            )),
        }
    }
}

/// A permission a plugin asks for and the operator must grant explicitly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    /// Receive the complainant's personal data in `complaint.personal-data`.
    PersonalData,
}

impl Capability {
    /// The manifest spelling of the capability.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::PersonalData => "personal-data",
        }
    }
}

impl FromStr for Capability {
    type Err = ManifestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "personal-data" => Ok(Capability::PersonalData),
            other => Err(ManifestError::invalid(
                "capabilities",
                format!("unknown capability {other:?}; the only known one is \"personal-data\""),
            )),
        }
    }
}

/// A validated plugin manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Plugin name: lower-case ASCII letters, digits and `-`, also its directory name.
    pub name: String,
    /// The plugin's own version.
    pub version: Version,
    /// What the plugin does.
    pub kind: PluginKind,
    /// Region codes the plugin serves, upper case ("UK", "US", ...).
    pub regions: Vec<String>,
    /// The WIT package version the plugin was built against.
    pub wit: Version,
    /// Lower-case hex SHA-256 of the `.wasm` file.
    pub sha256: String,
    /// Capabilities the plugin asks for.
    pub capabilities: Vec<Capability>,
    /// Operator settings the plugin reads through `host.config`.
    pub config: BTreeMap<String, String>,
    /// The publisher's signature, when signed (see [`crate::signing`]).
    pub signature: Option<ManifestSignature>,
}

/// The `[signature]` table: who signed, and the ed25519 signature over the
/// component's digest, name and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestSignature {
    /// The publisher's key id, as hosts list it in `plugins.trusted_keys`.
    pub key_id: String,
    /// The signature bytes.
    pub ed25519: [u8; 64],
}

/// The manifest as written, before validation. Unknown fields are refused so
/// that a misspelt key ("region" for "regions") does not pass silently.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    name: Option<String>,
    version: Option<String>,
    kind: Option<String>,
    regions: Option<Vec<String>>,
    wit: Option<String>,
    sha256: Option<String>,
    #[serde(default)]
    capabilities: Vec<String>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
    signature: Option<RawSignature>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSignature {
    key_id: String,
    ed25519: String,
}

/// Longest accepted plugin name; it becomes a directory name.
const MAX_NAME_LEN: usize = 64;

impl Manifest {
    /// Parses and validates a `plugin.toml` text.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let raw: RawManifest =
            toml::from_str(text).map_err(|e| ManifestError::Syntax(e.to_string()))?;
        Manifest::validate(raw)
    }

    fn validate(raw: RawManifest) -> Result<Manifest, ManifestError> {
        let name = raw.name.ok_or(ManifestError::Missing("name"))?;
        validate_name(&name)?;

        let version = raw.version.ok_or(ManifestError::Missing("version"))?;
        let version = Version::parse(&version).map_err(|e| {
            ManifestError::invalid(
                "version",
                format!("{version:?} is not a semver version: {e}"),
            )
        })?;

        let kind: PluginKind = raw.kind.ok_or(ManifestError::Missing("kind"))?.parse()?;

        let regions = raw.regions.ok_or(ManifestError::Missing("regions"))?;
        if regions.is_empty() {
            return Err(ManifestError::invalid(
                "regions",
                "the list is empty; name at least one region code such as \"UK\"",
            ));
        }
        let mut seen = Vec::with_capacity(regions.len());
        for region in &regions {
            let valid = (2..=8).contains(&region.len())
                && region
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(ManifestError::invalid(
                    "regions",
                    format!(
                        "{region:?} is not a region code (2-8 upper-case letters, digits or '-')"
                    ),
                ));
            }
            if seen.contains(region) {
                return Err(ManifestError::invalid(
                    "regions",
                    format!("{region:?} is listed twice"),
                ));
            }
            seen.push(region.clone());
        }

        let wit = raw.wit.ok_or(ManifestError::Missing("wit"))?;
        let wit = Version::parse(&wit).map_err(|e| {
            ManifestError::invalid("wit", format!("{wit:?} is not a semver version: {e}"))
        })?;

        let sha256 = raw.sha256.ok_or(ManifestError::Missing("sha256"))?;
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ManifestError::invalid(
                "sha256",
                "expected 64 hex digits (the SHA-256 of the .wasm file)",
            ));
        }
        let sha256 = sha256.to_ascii_lowercase();

        let mut capabilities = Vec::new();
        for text in &raw.capabilities {
            let capability: Capability = text.parse()?;
            if capabilities.contains(&capability) {
                return Err(ManifestError::invalid(
                    "capabilities",
                    format!("{text:?} is listed twice"),
                ));
            }
            capabilities.push(capability);
        }
        capabilities.sort();

        let mut config = BTreeMap::new();
        for (key, value) in raw.config {
            if key.is_empty() {
                return Err(ManifestError::invalid("config", "a key is empty"));
            }
            match value {
                toml::Value::String(text) => {
                    config.insert(key, text);
                }
                other => {
                    return Err(ManifestError::invalid(
                        "config",
                        format!(
                            "value of {key:?} is a {}; write it as a string, e.g. {key} = \"{other}\"",
                            other.type_str()
                        ),
                    ));
                }
            }
        }

        let signature = raw
            .signature
            .map(|raw| {
                validate_key_id(&raw.key_id)?;
                use base64::Engine;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(raw.ed25519.trim())
                    .ok()
                    .and_then(|b| <[u8; 64]>::try_from(b).ok())
                    .ok_or_else(|| {
                        ManifestError::invalid(
                            "signature",
                            "ed25519 must be a 64-byte signature in base64, as `redress plugin \
                             sign` writes it",
                        )
                    })?;
                Ok::<_, ManifestError>(ManifestSignature {
                    key_id: raw.key_id,
                    ed25519: bytes,
                })
            })
            .transpose()?;

        Ok(Manifest {
            name,
            version,
            kind,
            regions,
            wit,
            sha256,
            capabilities,
            config,
            signature,
        })
    }

    /// Whether the manifest asks for `capability`.
    pub fn requests(&self, capability: Capability) -> bool {
        self.capabilities.contains(&capability)
    }
}

fn validate_name(name: &str) -> Result<(), ManifestError> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if valid {
        Ok(())
    } else {
        Err(ManifestError::invalid(
            "name",
            format!(
                "{name:?} must be 1-{MAX_NAME_LEN} lower-case letters, digits or '-', \
                 not starting or ending with '-' (it becomes a directory name)"
            ),
        ))
    }
}

/// Checks a publisher key id: the same shape as a plugin name.
pub(crate) fn validate_key_id(key_id: &str) -> Result<(), ManifestError> {
    validate_name(key_id).map_err(|_| {
        ManifestError::invalid(
            "signature",
            format!(
                "key id {key_id:?} must be 1-{MAX_NAME_LEN} lower-case letters, digits or '-', \
                 not starting or ending with '-'"
            ),
        )
    })
}

/// Whether a plugin built against WIT `plugin` can run on a host implementing
/// `host`. Semver rules: the major versions must match, and while the major is
/// 0 the minor counts as the major (0.1 and 0.2 are incompatible).
pub fn wit_compatible(host: &Version, plugin: &Version) -> bool {
    if host.major != plugin.major {
        return false;
    }
    host.major != 0 || host.minor == plugin.minor
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn text(extra: &str) -> String {
        format!(
            "name = \"uk-fca\"\nversion = \"1.2.3\"\nkind = \"compliance\"\nregions = [\"UK\"]\n\
             wit = \"0.1.0\"\nsha256 = \"{SHA}\"\n{extra}"
        )
    }

    #[test]
    fn parses_a_complete_manifest() {
        let m = Manifest::parse(&text(
            "capabilities = [\"personal-data\"]\n[config]\nack-days = \"3\"\n",
        ))
        .unwrap();
        assert_eq!(m.name, "uk-fca");
        assert_eq!(m.version, Version::new(1, 2, 3));
        assert_eq!(m.kind, PluginKind::Compliance);
        assert_eq!(m.regions, ["UK"]);
        assert!(m.requests(Capability::PersonalData));
        assert_eq!(m.config.get("ack-days").map(String::as_str), Some("3"));
    }

    #[test]
    fn names_the_faulty_field() {
        let cases = [
            (
                text("").replace("kind = \"compliance\"", "kind = \"magic\""),
                "kind",
            ),
            (text("").replace("1.2.3", "one"), "version"),
            (text("").replace("[\"UK\"]", "[]"), "regions"),
            (text("").replace("[\"UK\"]", "[\"uk\"]"), "regions"),
            (text("").replace(SHA, "abc"), "sha256"),
            (text("").replace("\"uk-fca\"", "\"../etc\""), "name"),
            (text("").replace("wit = \"0.1.0\"", "wit = \"x\""), "wit"),
            (text("capabilities = [\"network\"]\n"), "capabilities"),
            (text("[config]\nack-days = 3\n"), "config"),
        ];
        for (manifest, field) in cases {
            let err = Manifest::parse(&manifest).unwrap_err();
            assert!(err.to_string().contains(field), "{err} should name {field}");
        }
    }

    #[test]
    fn missing_and_unknown_fields_are_refused() {
        let err = Manifest::parse(&text("").replace("wit = \"0.1.0\"\n", "")).unwrap_err();
        assert!(err.to_string().contains("wit"), "{err}");
        let err = Manifest::parse(&text("region = \"UK\"\n")).unwrap_err();
        assert!(err.to_string().contains("region"), "{err}");
    }

    #[test]
    fn zero_major_minor_counts_as_major() {
        let host = Version::new(0, 1, 0);
        assert!(wit_compatible(&host, &Version::new(0, 1, 7)));
        assert!(!wit_compatible(&host, &Version::new(0, 2, 0)));
        assert!(!wit_compatible(&host, &Version::new(1, 1, 0)));
        assert!(wit_compatible(
            &Version::new(1, 0, 0),
            &Version::new(1, 4, 0)
        ));
    }
}
