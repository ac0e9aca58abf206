#!/usr/bin/env bash
# gator verify of kubernetes/policies/tests/suite.yaml: Gatekeeper's own engine, on the same
# ConstraintTemplates, Constraints and fixtures that policy-check reads. gator takes one object
# per file, at the path the suite names, so each template and Constraint is copied under its
# object's name (templates/<template>, constraints/<constraint>) and the fixtures (several
# objects each) are cut into one file per object, beside a copy of the suite. Then each
# template in turn is replaced by one that denies nothing, and the suite must fail: a
# policy that stopped denying, or a suite gator skipped unread, does not pass.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.venv/bin
policies=kubernetes/policies
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

"$bin/python" - "$policies" "$tree" <<'PY'
import pathlib, sys, yaml

policies, tree = map(pathlib.Path, sys.argv[1:])

def write(folder, doc, seen):
    name = doc["metadata"]["name"]
    if (folder, name) in seen:
        sys.exit(f"two objects named {name} for {folder}/: gator's case paths would clash")
    seen.add((folder, name))
    (tree / folder).mkdir(exist_ok=True)
    (tree / folder / f"{name}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))

seen, templates, fixtures = set(), [], {}
for folder in ("templates", "constraints"):
    for path in sorted((policies / folder).glob("*.yaml")):
        if path.stem == "kustomization":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            if doc["apiVersion"].split("/")[0] != f"{folder}.gatekeeper.sh":
                sys.exit(f"{path}: a {doc['kind']} among the {folder}")
            if folder == "templates":
                templates.append(doc["metadata"]["name"])
            write(folder, doc, seen)
for path in sorted((policies / "fixtures").glob("*.yaml")):
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    fixtures[path.stem] = [d["metadata"]["name"] for d in docs]
    for doc in docs:
        write("objects", doc, seen)

# The suite covers what the folder holds: a test per template, with the compliant fixture
# allowed and every object of the template's own fixture denied.
suite_text = (policies / "tests/suite.yaml").read_text()
(tree / "suite.yaml").write_text(suite_text)
tests = {t["template"]: t for t in yaml.safe_load(suite_text)["tests"]}
problems = []
for template in templates:
    test = tests.get(f"templates/{template}.yaml")
    if test is None:
        problems.append(f"{template}: no test in the suite")
        continue
    if test.get("name") != template:
        # The self-check below selects each test by its template's name.
        problems.append(f"{template}: its test is named {test.get('name')!r}, not {template!r}")
    verdicts = {}
    for case in test.get("cases", []):
        allowed = all(str(a.get("violations", "yes")) in ("no", "0") for a in case["assertions"])
        verdicts[case["object"]] = allowed
    if verdicts.get("objects/compliant.yaml") is not True:
        problems.append(f"{template}: the compliant fixture is not a case that must be allowed")
    if not fixtures.get(template):
        problems.append(f"{template}: no fixture {policies}/fixtures/{template}.yaml")
    for name in fixtures.get(template, []):
        if verdicts.get(f"objects/{name}.yaml") is not False:
            problems.append(f"{template}: fixture object {name} is not a case that must be denied")
if problems:
    sys.exit("kubernetes/policies/tests/suite.yaml:\n  " + "\n  ".join(problems))
(tree / "templates.txt").write_text("\n".join(templates) + "\n")
PY

"$bin/gator" verify "$tree/suite.yaml"

# The self-check. The stand-in keeps the template's package and a violation rule (gator
# rejects a template without one) whose body never holds.
mutant=$(mktemp -d)
trap 'rm -rf "$tree" "$mutant"' EXIT
while read -r template; do
  rm -rf "$mutant" && cp -r "$tree" "$mutant"
  "$bin/python" - "$mutant/templates/$template.yaml" <<'PY'
import sys, yaml
path = sys.argv[1]
doc = yaml.safe_load(open(path))
target = doc["spec"]["targets"][0]
package = target["rego"].split("package ", 1)[1].split()[0]
target["rego"] = f'package {package}\n\nviolation[{{"msg": msg}}] {{\n  msg := "never"\n  false\n}}\n'
open(path, "w").write(yaml.safe_dump(doc, sort_keys=False))
PY
  if out=$("$bin/gator" verify --run "^$template\$" "$mutant/suite.yaml" 2>&1); then
    echo "gator verify passed with $template denying nothing: its denied cases check nothing" >&2
    exit 1
  fi
  # Failing for another reason (the stand-in did not load) would prove nothing.
  grep -q "got 0 violations but want" <<<"$out" || { echo "$template's stand-in failed otherwise: $out" >&2; exit 1; }
done <"$tree/templates.txt"
echo "gator verify fails for each of the $(wc -l <"$tree/templates.txt") templates when it denies nothing"
