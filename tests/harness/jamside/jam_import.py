"""Import a metadata zip with Jam.py's own code, in-process (the Builder's Import button).

Usage: jam_import.py <project_dir> <zip> [from_client]
Prints {"success", "error", "seconds"} (seconds: the import itself, without start-up).
The zip path is used as given: Jam.py deletes it when the import succeeds or comes
"from client".
"""
import json
import sys
import time

from jam.wsgi import create_application

app = create_application(sys.argv[1], testing=True)
from_client = len(sys.argv) > 3 and sys.argv[3] == "1"
started = time.perf_counter()
result = app.import_md(sys.argv[2], from_client)
elapsed = time.perf_counter() - started
success, error = result[:2] if result else (None, "project is under maintenance")
print(json.dumps({"success": bool(success), "error": error, "seconds": elapsed}))
