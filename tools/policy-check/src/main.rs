use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use policy_check::{Policies, read_documents};

const USAGE: &str = "usage: policy-check [--policies <dir>] <manifests.yaml | ->...

Evaluates the Gatekeeper ConstraintTemplates of <dir>/templates and the Constraints of
<dir>/constraints (default kubernetes/policies) against every object of the manifests (`-` reads standard input, e.g.
`kubectl kustomize kubernetes/overlays/production | policy-check -`). Exits 1 when an object
violates a constraint, listing each violation.";

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("policy-check: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let mut policies_dir = PathBuf::from("kubernetes/policies");
    let mut inputs = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--policies" => policies_dir = args.next().context("--policies needs a folder")?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(true);
            }
            _ => inputs.push(arg),
        }
    }
    if inputs.is_empty() {
        bail!("no manifests given\n{USAGE}");
    }
    let policies = Policies::load(&policies_dir)?;
    let mut clean = true;
    for input in &inputs {
        let text = if input == "-" {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        } else {
            std::fs::read_to_string(input).with_context(|| format!("reading {input}"))?
        };
        let objects = read_documents(&text).with_context(|| format!("parsing {input}"))?;
        let violations = policies.check(&objects)?;
        for violation in &violations {
            println!("{input}: {violation}");
        }
        println!(
            "{input}: {} objects, {} constraints, {} violations",
            objects.len(),
            policies.kinds().len(),
            violations.len()
        );
        clean &= violations.is_empty();
    }
    Ok(clean)
}
