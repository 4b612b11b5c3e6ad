"""An import that stops at a given progress line and waits to be killed (kill -9).

    python -m tests.harness.kill_import <project> <zip> <line prefix>

Prints the importer's progress lines; on the first one starting with the prefix it prints
"PAUSED" and blocks reading stdin, so the test can SIGKILL it at exactly that point.
"""
import sys

from ansible_collections.jampy.deploy.plugins.module_utils.engine.dbconnect import create_engine
from ansible_collections.jampy.deploy.plugins.module_utils.engine.importer import Importer


def main(project, zip_path, prefix):
    def report(line):
        print(line, flush=True)
        if line.startswith(prefix):
            print("PAUSED", flush=True)
            sys.stdin.read(1)

    Importer(project, zip_path, import_delay=0, engine_factory=create_engine,
             report=report).run()
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
