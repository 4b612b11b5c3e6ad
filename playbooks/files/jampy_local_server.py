"""Serve a Jam.py project on 127.0.0.1 with Jam.py's bundled WSGI server (no Apache).

For trying a deployment without root (make demo); production hosts use Apache/mod_wsgi.
Usage: <project venv>/bin/python jampy_local_server.py <project folder> <port>
"""
import sys

from jam.wsgi import create_application  # first: puts Jam.py's bundled werkzeug on sys.path
from werkzeug.serving import run_simple

project, port = sys.argv[1], int(sys.argv[2])
run_simple("127.0.0.1", port, create_application(project), threaded=True,
           use_reloader=False, use_debugger=False)
