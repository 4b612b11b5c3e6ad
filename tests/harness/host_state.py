"""What a preview (check mode) must leave as it is on a deployed host: admin.sqlite's
bytes, the project database's schema, and every file of the project folder and of the
other folders given (the staging folder), by content.

    python -m tests.harness.host_state save <state.json> <project> [folder ...]
    python -m tests.harness.host_state compare <state.json> <project> [folder ...]

save writes the state to <state.json>; compare exits 1 naming what differs from it."""
import hashlib
import json
import sys
from pathlib import Path

from ansible_collections.jampy.deploy.plugins.module_utils.engine.schema.model import (
    describe_schema)

from .project_db import reflect


def files(folder):
    """{path: sha256} of every file under folder (missing folder: none)."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def state(project, folders):
    found = {"schema": describe_schema(reflect(project)).splitlines(), "files": {}}
    for folder in (project, *folders):
        found["files"].update(files(folder))
    return found


def differences(before, after):
    changed = [f"schema: {line}" for line in
               sorted(set(before["schema"]) ^ set(after["schema"]))]
    paths = set(before["files"]) | set(after["files"])
    changed += [f"file: {path}" for path in sorted(paths)
                if before["files"].get(path) != after["files"].get(path)]
    return changed


def main(action, state_file, project, *folders):
    now = state(project, folders)
    if action == "save":
        Path(state_file).write_text(json.dumps(now))
        print(f"{len(now['files'])} files, schema of {sum(1 for l in now['schema'] if l.startswith('table '))} tables")
        return 0
    changed = differences(json.loads(Path(state_file).read_text()), now)
    print("\n".join(changed) or "unchanged: admin.sqlite, every file, the schema")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
