# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  project_path:
    description:
      - Folder of the Jam.py project on the target (the folder that holds C(admin.sqlite),
        C(wsgi.py) and C(server.py)).
      - Projects of Jam.py 5.4 and 7.0 are both read; the layout is recognised from
        C(admin.sqlite) itself.
    type: path
    required: true
requirements:
  - Python 3.8 or newer on the target (the standard library is enough for this module).
"""
