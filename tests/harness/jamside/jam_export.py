"""Export a project's metadata with Jam.py's own Builder code; print the zip's path.

Usage: jam_export.py <project_dir>
"""
import json
import os
import sys

from jam.wsgi import create_application  # first: it puts Jam.py's bundled werkzeug on sys.path
from jam.admin.export_metadata import export_task

app = create_application(sys.argv[1], testing=True)
name = export_task(app.admin, None)
print(json.dumps({"zip": os.path.join(app.work_dir, "static", "internal", name)}))
