"""An import or a data refresh that stops at a given progress line and waits to be killed
(kill -9).

    python -m tests.harness.kill_import import <project> <zip> <line prefix> [options JSON]
    python -m tests.harness.kill_import refresh <target project> <source project> <line prefix>

Prints the progress lines; on the first one starting with the prefix it prints "PAUSED"
and blocks reading stdin, so the test can SIGKILL it at exactly that point.
"""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.importer import (
    ImportOptions)
from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.run import run_import
from ansible_collections.jampy.deploy.plugins.module_utils.engine.refresh.run import (
    RefreshOptions, run_refresh)


REPO = Path(__file__).resolve().parents[2]


def kill_at(project, other, prefix, kind="import", options=None):
    """Run an import of the zip ``other`` (or a refresh from the project ``other``) in a
    child process and kill -9 it at its first progress line starting with ``prefix``;
    ``options``: more ImportOptions of the import."""
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.harness.kill_import", kind, str(project), str(other),
         prefix, json.dumps(options or {})],
        cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=f"{REPO / '.cache' / 'collections'}:{REPO}"))
    lines = []
    for line in child.stdout:
        lines.append(line.strip())
        if line.strip() == "PAUSED":
            os.kill(child.pid, signal.SIGKILL)
            break
    child.wait(30)
    assert "PAUSED" in lines, lines
    return lines


def main(kind, project, other, prefix, options="{}"):
    def report(line):
        print(line, flush=True)
        if line.startswith(prefix):
            print("PAUSED", flush=True)
            sys.stdin.read(1)

    if kind == "import":
        run_import(project, other, ImportOptions(import_delay=0, **json.loads(options)),
                   report=report)
    else:
        run_refresh(project, other, RefreshOptions(batch_size=500), report=report)
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
