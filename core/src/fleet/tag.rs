//! The tag that marks each image a fleet makes, so that a rerun finds it by listing and
//! retention selects it, never by name.
//!
//! Key: `imsf-` and 31 characters of the base64url SHA-256 of (fleet, item): the same for
//! every run of an item, so retention lists all of them. Value: the base64url SHA-256 of
//! (fleet, run, item), 43 characters: one run's image of one item. Both fit the documented tag
//! limits (key at most 36 characters, value at most 43) and use only letters, digits, `-` and
//! `_`, so they read back the same in every tag form (`key=value`, `key.value`, objects).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::model::{ImageTag, Tags, WholeImageRequest};

/// Every fleet tag key starts with this.
pub const KEY_PREFIX: &str = "imsf-";
/// Length of a fleet tag key (the documented maximum).
pub const KEY_CHARS: usize = 36;
/// Length of a fleet tag value (the documented maximum; a base64url SHA-256).
pub const VALUE_CHARS: usize = 43;

/// The fleet tag of one (fleet, run, item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetTag {
    /// Identifies (fleet, item).
    pub key: String,
    /// Identifies (fleet, run, item).
    pub value: String,
}

fn digest(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        // Lengths first: ("ab", "c") and ("a", "bc") never collide.
        h.update((p.len() as u64).to_be_bytes());
        h.update(p.as_bytes());
    }
    URL_SAFE_NO_PAD.encode(h.finalize())
}

impl FleetTag {
    /// The tag of `item` in `run` of `fleet`.
    pub fn new(fleet: &str, run: &str, item: &str) -> FleetTag {
        FleetTag {
            key: FleetTag::key_of(fleet, item),
            value: digest(&["ims-fleet-run", fleet, run, item]),
        }
    }

    /// The key every run's image of `item` in `fleet` carries.
    pub fn key_of(fleet: &str, item: &str) -> String {
        let d = digest(&["ims-fleet-item", fleet, item]);
        format!("{KEY_PREFIX}{}", &d[..KEY_CHARS - KEY_PREFIX.len()])
    }

    /// `key=value`, as the list's `tag` filter takes it.
    pub fn filter(&self) -> String {
        format!("{}={}", self.key, self.value)
    }

    /// `request` with this tag added in the request's own tag form (a `key.value` string
    /// for legacy `tags`, else an `image_tags` object).
    pub fn add_to(&self, request: &WholeImageRequest) -> WholeImageRequest {
        let mut r = request.clone();
        r.tags = match std::mem::take(&mut r.tags) {
            Tags::Legacy(mut tags) => {
                tags.push(format!("{}.{}", self.key, self.value));
                Tags::Legacy(tags)
            }
            Tags::Image(mut tags) => {
                tags.push(ImageTag::new(&self.key, &self.value));
                Tags::Image(tags)
            }
            Tags::None => Tags::Image(vec![ImageTag::new(&self.key, &self.value)]),
        };
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Source;

    #[test]
    fn tags_fit_the_documented_limits_and_tell_fleets_runs_and_items_apart() {
        let t = FleetTag::new("fleet", "nightly-2026-12-02", "i-1");
        assert_eq!(t.key.chars().count(), KEY_CHARS);
        assert_eq!(t.value.chars().count(), VALUE_CHARS);
        assert!(t.key.starts_with(KEY_PREFIX));
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        assert!(t.key.chars().all(ok) && t.value.chars().all(ok), "{t:?}");
        let other_run = FleetTag::new("fleet", "nightly-2026-12-03", "i-1");
        assert_eq!(t.key, other_run.key);
        assert_ne!(t.value, other_run.value);
        assert_ne!(
            t.key,
            FleetTag::new("fleet2", "nightly-2026-12-02", "i-1").key
        );
        assert_ne!(
            t.key,
            FleetTag::new("fleet", "nightly-2026-12-02", "i-2").key
        );
        assert_ne!(FleetTag::key_of("ab", "c"), FleetTag::key_of("a", "bc"));
        assert_eq!(t.filter(), format!("{}={}", t.key, t.value));
    }

    #[test]
    fn the_tag_joins_the_request_in_its_own_form_and_stays_valid() {
        let t = FleetTag::new("f", "r", "i");
        let plain = WholeImageRequest::new("n", Source::ecs("i", "v"));
        let tagged = t.add_to(&plain);
        assert_eq!(
            tagged.tags,
            Tags::Image(vec![ImageTag::new(&t.key, &t.value)])
        );
        assert!(tagged.validate().is_ok(), "{:?}", tagged.validate());
        let mut legacy = plain.clone();
        legacy.tags = Tags::Legacy(vec!["env.prod".into()]);
        let tagged = t.add_to(&legacy);
        assert_eq!(tagged.tags.pairs()[1], (t.key.clone(), t.value.clone()));
        assert!(tagged.validate().is_ok(), "{:?}", tagged.validate());
    }
}
