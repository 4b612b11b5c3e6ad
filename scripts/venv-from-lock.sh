#!/usr/bin/env bash
# Make a virtual environment that holds exactly what lock files list, hash-checked:
#   venv-from-lock.sh PYTHON VENV LOCK [LOCK...]
# The venv is made anew (--clear), gets the locked pip and setuptools first
# (roles/project/files/locks/bootstrap.txt), then every package of the locks, without
# dependencies of its own choosing (--no-deps) and without fetching build tools: the few
# source distributions build with the locked setuptools already in the venv.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 PYTHON VENV LOCK [LOCK...]" >&2; exit 2; }
python=$1 venv=$2; shift 2
bootstrap="$(cd "$(dirname "$0")/.." && pwd)/roles/project/files/locks/bootstrap.txt"
"$python" -m venv --clear "$venv"
pip=("$venv/bin/python" -m pip install -q --disable-pip-version-check --require-hashes --no-deps)
"${pip[@]}" -r "$bootstrap"
locks=()
for lock in "$@"; do locks+=(-r "$lock"); done
"${pip[@]}" --no-build-isolation "${locks[@]}"
