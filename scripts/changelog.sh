#!/usr/bin/env bash
# `make changelog`: CHANGELOG.rst from changelogs/fragments, for galaxy.yml's version.
#   scripts/changelog.sh [OUTPUT]      (default: CHANGELOG.rst)
# The fragments stay the source: antsibull-changelog's release (which folds them into
# changelog.yaml and removes them) runs on a copy of the collection, and only the rendered
# CHANGELOG.rst comes back. tests/unit/test_changelog.py compares it with the fragments.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-CHANGELOG.rst}")
bin=$(realpath .venv/bin)
version=$(sed -n 's/^version: *//p' galaxy.yml)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# antsibull-changelog finds new modules with ansible-doc: the copy is a collection path.
copy=$work/ansible_collections/jampy/deploy
mkdir -p "$copy"
cp -r galaxy.yml changelogs plugins meta "$copy"/
find "$copy" -name __pycache__ -prune -exec rm -rf {} +
(cd "$copy" && PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$work" \
  "$bin/antsibull-changelog" release --version "$version" --date 2000-01-01 >/dev/null)
cp "$copy/CHANGELOG.rst" "$out"
echo "changelog: $out (v$version, $(find changelogs/fragments -name '*.yml' | wc -l) fragments)"
