//! The README lists every directive that is accepted but not yet effective;
//! this keeps that list equal to the directive table's.

#[test]
fn readme_lists_exactly_the_not_yet_effective_directives() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- not-yet-effective:start -->")
        .expect("start marker");
    let end = readme
        .find("<!-- not-yet-effective:end -->")
        .expect("end marker");
    let mut listed: Vec<&str> = readme[start..end].split('`').skip(1).step_by(2).collect();
    listed.sort_unstable();
    let mut expected = shoal_config::Config::not_yet_effective();
    expected.sort_unstable();
    assert_eq!(listed, expected, "README's not-yet-effective list is stale");
}
