"""Places on this machine where the web server's user can reach a project, as on a host."""
import os
import pwd
import secrets
import shutil
from pathlib import Path

ROOT = Path("/srv/jampy-tests")
WEB_USER = "www-data"


def web_user_exists():
    try:
        pwd.getpwnam(WEB_USER)
        return True
    except KeyError:
        return False


def new_site(prefix="site"):
    """A fresh folder below /srv/jampy-tests that other users may traverse (o+x)."""
    ROOT.mkdir(mode=0o755, exist_ok=True)
    os.chmod(ROOT, 0o755)
    folder = ROOT / f"{prefix}-{secrets.token_hex(4)}"
    folder.mkdir(mode=0o755)
    return folder


def remove_site(folder):
    shutil.rmtree(folder, ignore_errors=True)
