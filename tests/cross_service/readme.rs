//! The README documents what the code does: checked here so the two cannot drift.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md")
}

#[test]
fn the_readme_configuration_table_is_the_one_generated_from_the_code() {
    let readme = readme();
    let table = http_kit::settings::markdown_table();

    assert!(
        readme.contains(&table),
        "README.md's configuration table is stale; replace it with the output of \
         `cargo run -q -p orderflowctl -- settings-table`:\n{table}"
    );
}

#[test]
fn the_readme_opens_with_the_two_set_up_commands() {
    let readme = readme();
    let commands: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("make "))
        .take(2)
        .collect();

    assert_eq!(commands, ["make up", "make test"]);
}
