//! The README documents what the code does: checked here so the two cannot drift.

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md")
}

#[test]
fn the_readme_configuration_table_is_the_one_generated_from_the_code() {
    let readme = readme();
    let table = settings::markdown_table();

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

/// The Markdown files of the repository: the ones git knows, without what tools install.
fn markdown_files(dir: &std::path::Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir)
        .expect("readable directory")
        .flatten()
    {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if !name.starts_with('.') && !matches!(&*name, "target" | "node_modules") {
                markdown_files(&path, found);
            }
        } else if name.ends_with(".md") {
            found.push(path);
        }
    }
}

#[test]
fn every_relative_link_in_the_docs_names_a_file_that_exists() {
    let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut files = Vec::new();
    markdown_files(root, &mut files);
    let mut broken = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable Markdown");
        for (_, rest) in text.match_indices("](").map(|(i, _)| text.split_at(i + 2)) {
            let target = rest.split([')', ' ']).next().unwrap_or_default();
            let path = target.split('#').next().unwrap_or_default();
            let external = target.contains("://") || target.starts_with("mailto:");
            if path.is_empty() || external {
                continue;
            }
            let resolved = file.parent().expect("a file has a folder").join(path);
            if !resolved.exists() {
                broken.push(format!("{}: {target}", file.display()));
            }
        }
    }

    assert!(
        files.len() > 10,
        "found only {} Markdown files",
        files.len()
    );
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}
