#!/usr/bin/env bash
# Prints the Argo CD Application of an overlay (kubernetes/argocd/orderflow-<overlay>.yaml)
# with its repoURL set, ready for `| kubectl apply -f -`. The committed files name no
# repository (this one cannot know where it is pulled from), and the Application CRD requires
# source.repoURL, so an unsubstituted file is refused rather than left pointing nowhere.
#
#   scripts/argocd-app.sh dev | kubectl apply -f -                     # the origin remote's URL
#   scripts/argocd-app.sh production https://github.com/<owner>/<repo>.git | kubectl apply -f -
set -euo pipefail
cd "$(dirname "$0")/.."
overlay=${1:-}
app=kubernetes/argocd/orderflow-$overlay.yaml
[ -f "$app" ] || { echo "usage: $0 <dev|production> [repository URL]" >&2; exit 2; }
url=${2:-$(git remote get-url origin 2>/dev/null || true)}
# What Argo CD can clone: https://, ssh:// or git@host:path; not a local path or an example.
if ! [[ "$url" =~ ^(https://|ssh://|git@[^:]+:).+ ]] || [[ "$url" == *example.* ]]; then
  echo "$0: '$url' is not a repository Argo CD can pull: pass its URL (https://... or git@...)" >&2
  exit 2
fi
# The repoURL goes first under `source:`, in place of the comment that says it is missing.
out=$(awk -v url="$url" '
  note && /^    #/ { next }
  { note = 0; print }
  /^  source:$/ { print "    repoURL: " url; note = 1 }' "$app")
# Exactly one repoURL, under spec.source.
[ "$(grep -c '^    repoURL: ' <<<"$out")" = 1 ] || { echo "$0: no spec.source in $app" >&2; exit 1; }
printf '%s\n' "$out"
