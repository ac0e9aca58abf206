//! `gitops-check --secrets-doc <doc.md> <manifests.yaml>...`: the checks of
//! `policy_check::gitops` on rendered overlays; exits 1 with one line per finding.

use std::process::ExitCode;

use anyhow::{Context, bail};
use policy_check::{gitops, read_documents};

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("gitops-check: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let mut args = std::env::args().skip(1);
    let (Some(flag), Some(doc)) = (args.next(), args.next()) else {
        bail!("usage: gitops-check --secrets-doc <doc.md> <manifests.yaml>...");
    };
    if flag != "--secrets-doc" {
        bail!("usage: gitops-check --secrets-doc <doc.md> <manifests.yaml>...");
    }
    let doc = std::fs::read_to_string(&doc).with_context(|| format!("reading {doc}"))?;
    let mut clean = true;
    for input in args {
        let text = std::fs::read_to_string(&input).with_context(|| format!("reading {input}"))?;
        let objects = read_documents(&text).with_context(|| format!("parsing {input}"))?;
        let findings = gitops::check(&objects, &doc);
        for finding in &findings {
            println!("{input}: {finding}");
        }
        println!(
            "{input}: {} objects, {} findings",
            objects.len(),
            findings.len()
        );
        clean &= findings.is_empty();
    }
    Ok(clean)
}
