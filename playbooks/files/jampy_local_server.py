"""Serve a Jam.py project on 127.0.0.1 with Jam.py's bundled WSGI server (no Apache).

For trying a deployment without root (make demo); production hosts use Apache/mod_wsgi.
What is served is the project's wsgi.py application, as under mod_wsgi: Jam.py behind the
guard the project role puts in front of it.
Usage: <project venv>/bin/python jampy_local_server.py <project folder> <port>
"""
import os
import runpy
import sys


def serve(project, port):
    application = runpy.run_path(os.path.join(project, "wsgi.py"))["application"]
    # Only now: wsgi.py imported jam.wsgi, which puts Jam.py's bundled werkzeug first.
    from werkzeug.serving import run_simple

    run_simple("127.0.0.1", port, application, threaded=True, use_reloader=False,
               use_debugger=False)


serve(sys.argv[1], int(sys.argv[2]))
