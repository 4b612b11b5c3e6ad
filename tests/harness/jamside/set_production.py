"""Switch a Jam.py 7.0 project to production mode with the Builder's own server function
(what ticking Production in its Parameters dialog ends with).

Usage: set_production.py <project_dir>
"""
import sys

from jam.wsgi import create_application  # first: it puts Jam.py's bundled libraries on sys.path
from jam.admin import builder

app = create_application(sys.argv[1], testing=True)
builder.server_set_production(app.admin)
