#!/usr/bin/env bash
# `make lock`: resolve every input under requirements/ into a lock with hashes, on purpose.
#   requirements/dev.in                        -> requirements/dev.lock   (.venv)
#   requirements/bootstrap.in                  -> roles/project/files/locks/bootstrap.txt
#   project/jam-<version>.in + modules.in + <db>.in
#                                              -> roles/project/files/locks/jam-<version>-<db>.txt
# The project locks ship with the collection: the project role installs a target's venv
# from them, and the tests' Jam.py venvs are made from the same files. Locks are resolved
# for CPython 3.11 on x86-64 Linux (Debian 12's /usr/bin/python3, which mod_wsgi embeds);
# every pinned version keeps the hashes of all its files, so other platforms install them too.
set -euo pipefail
cd "$(dirname "$0")/.."
UV_VERSION=0.13.9
tools=.cache/lock-tools
if [ ! -x "$tools/bin/uv" ] || [ "$("$tools/bin/uv" --version | cut -d' ' -f2)" != "$UV_VERSION" ]; then
  /usr/bin/python3 -m venv --clear "$tools"
  "$tools/bin/python" -m pip install -q "uv==$UV_VERSION"
fi
compile() {  # output, inputs...
  local out=$1; shift
  "$tools/bin/uv" pip compile -q --generate-hashes --python-version 3.11 \
    --python-platform x86_64-manylinux_2_28 --custom-compile-command "make lock" \
    --no-strip-extras "$@" -o "$out"
  echo "lock: $out ($(grep -c '^[A-Za-z0-9]' "$out") packages)"
}
locks=roles/project/files/locks
mkdir -p "$locks"
compile requirements/dev.lock requirements/dev.in
compile "$locks/bootstrap.txt" requirements/bootstrap.in
for jam in requirements/project/jam-*.in; do
  version=$(basename "$jam" .in); version=${version#jam-}
  for db in sqlite postgresql mysql; do
    compile "$locks/jam-$version-$db.txt" "$jam" requirements/project/modules.in \
      "requirements/project/$db.in"
  done
done
