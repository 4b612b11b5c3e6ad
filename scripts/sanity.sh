#!/usr/bin/env bash
# ansible-test sanity on a copy of the collection at .../ansible_collections/jampy/deploy
# (where ansible-test needs it), offline: pip is bootstrapped from ensurepip.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=$repo/.venv/bin/python
version=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
pip_version=$("$python" - <<'PY'
import re, pathlib, ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([\d.]+)'", source.read_text()).group(1))
PY
)
cache=~/.ansible/test/cache
mkdir -p "$cache"
cp scripts/ansible_test_pip_bootstrap.py "$cache/get_pip_${pip_version//./_}.py"

dest=$repo/.cache/ansible-test/ansible_collections/jampy/deploy
rm -rf "$dest"
mkdir -p "$dest"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && cp --parents "$f" "$dest/"
done
cd "$dest"
git init -q . && git add -A
"$repo/.venv/bin/ansible-test" sanity --local --python "$version" "$@"
