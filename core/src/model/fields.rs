//! The fields of the body: [`FIELDS`], their documented order (which the JSON reader, the
//! serializer and the order of reported violations all follow), and the violations that
//! concern the body as a whole. A leaf of `model`: it reads only `violation`.

use crate::violation::{Rule, Violation, top_level};

/// Every top-level field of the body, in documented order: the fields the JSON reader knows,
/// the order the serializer writes, and the order violations are reported in.
pub(crate) const FIELDS: [&str; 11] = [
    "name",
    "description",
    "tags",
    "image_tags",
    "instance_id",
    "vault_id",
    "backup_id",
    "whole_image_type",
    "max_ram",
    "min_ram",
    "enterprise_project_id",
];

/// The violation for a request that has both `tags` and `image_tags`.
pub(crate) fn exclusive_tags() -> Violation {
    Violation::new(
        "image_tags",
        Rule::Exclusive,
        "cannot be used together with tags: use either tags or image_tags",
    )
}

/// Position of a violation's field in the body: the document (`$`) first, then [`FIELDS`],
/// with `source` just before `instance_id`; unknown fields last.
fn rank(field: &str) -> usize {
    let top = top_level(field);
    let at = |name: &str| FIELDS.iter().position(|f| *f == name);
    match top {
        "$" => 0,
        "source" => 2 * at("instance_id").unwrap_or(FIELDS.len()) + 1,
        _ => at(top).map_or(2 * FIELDS.len() + 2, |i| 2 * i + 2),
    }
}

/// Stable sort of violations into body field order.
pub(crate) fn sort_by_field(violations: &mut [Violation]) {
    violations.sort_by_key(|v| rank(&v.field));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_sort_in_body_order() {
        let order = [
            "$",
            "name",
            "description",
            "tags[0]",
            "image_tags[1].key",
            "source",
            "instance_id",
            "vault_id",
            "backup_id",
            "whole_image_type",
            "max_ram",
            "min_ram",
            "enterprise_project_id",
            "colour",
        ];
        let ranks: Vec<usize> = order.iter().map(|f| rank(f)).collect();
        let mut sorted = ranks.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(ranks, sorted, "strictly increasing in body order");
    }
}
