"""Set a new project's language with the Builder's own server function (what its language
dialog ends with: SYS_PARAMS, item captions and the labels of the project's page).

Usage: set_language.py <project_dir> <language id>
"""
import sys

from jam.wsgi import create_application  # first: it puts Jam.py's bundled libraries on sys.path
from jam.admin import builder

app = create_application(sys.argv[1], testing=True)
builder.server_set_project_langage(app.admin, int(sys.argv[2]))
