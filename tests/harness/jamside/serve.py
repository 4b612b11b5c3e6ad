"""Serve a Jam.py project on 127.0.0.1 (Jam.py's own server.py binds 0.0.0.0).

Usage: serve.py <project_dir> <port> [wsgi.py]. Prints "serving <port>" once the app object
exists (Jam.py has then restored _admin.sqlite, reset maintenance and run a migration/
import). With "wsgi.py", the application is the one of the project's wsgi.py, run the way
mod_wsgi runs it.
"""
import os
import runpy
import sys

from jam.wsgi import create_application
from werkzeug.serving import run_simple  # 5.x: its bundled werkzeug, first on sys.path

project_dir, port = sys.argv[1], int(sys.argv[2])
if sys.argv[3:] == ["wsgi.py"]:
    application = runpy.run_path(os.path.join(project_dir, "wsgi.py"))["application"]
else:
    application = create_application(project_dir)
print(f"serving {port}", flush=True)
run_simple("127.0.0.1", port, application, threaded=True, use_reloader=False, use_debugger=False)
