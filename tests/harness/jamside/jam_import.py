"""Import a metadata zip with Jam.py's own code, in-process (the Builder's Import button).

Usage: jam_import.py <project_dir> <zip> [from_client]
Prints {"success", "error", "log"}; the zip path is used as given (Jam.py deletes it
when the import succeeds or comes "from client").
"""
import json
import sys

from jam.wsgi import create_application

app = create_application(sys.argv[1], testing=True)
from_client = len(sys.argv) > 3 and sys.argv[3] == "1"
result = app.import_md(sys.argv[2], from_client)
success, error, _client_log = result if result else (None, "project is under maintenance", "")
print(json.dumps({"success": bool(success), "error": error}))
