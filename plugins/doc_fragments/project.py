# Copyright: jampy.deploy contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)


class ModuleDocFragment:
    """The project_path option every module takes, and the attributes they share."""
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
  - Python 3.8 or newer on the target.
"""

    # Attributes every module of the collection shares (with the ansible.builtin
    # action_common_attributes fragments that describe them).
    ATTRIBUTES = r"""
attributes:
  action_group:
    description: Action is part of action_group(s), for convenient setting of module_defaults.
    support: N/A
    membership: [jampy.deploy.all]
  platform:
    description: Target OS/families that can be operated against.
    support: N/A
    platforms: posix
"""
