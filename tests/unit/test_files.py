"""Files written into a project belong to the project's owner, so Jam.py (running as the
web server's user) can rewrite them even when the modules run as root."""
import os

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine import files
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam import protocol
from ansible_collections.jampy.deploy.plugins.module_utils.engine.jam.locks import project_lock

NOBODY = 65534
pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="only root can give files away")


@pytest.fixture
def project(tmp_path):
    folder = tmp_path / "project"
    folder.mkdir()
    os.chown(folder, NOBODY, NOBODY)
    return folder


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def test_new_files_and_folders_take_the_projects_owner(project):
    files.write_text(project / "logs" / "import_x.log", "text", project)
    assert owner(project / "logs") == owner(project / "logs" / "import_x.log") == (NOBODY, NOBODY)
    with project_lock(project, "$metadata_import"):
        pass
    assert owner(project / "locks" / "$metadata_import.lock") == (NOBODY, NOBODY)
    marker = protocol.save_build_id(project, 3, 7)
    assert owner(project / "locks" / marker) == (NOBODY, NOBODY)


def test_a_replaced_file_keeps_its_own_mode_and_owner(project):
    target = project / "index.html"
    target.write_text("old")
    os.chown(target, 1, 1)
    os.chmod(target, 0o640)
    files.write_text(target, "new", project)
    assert target.read_text() == "new" and owner(target) == (1, 1)
    assert oct(target.stat().st_mode)[-3:] == "640"
    assert [p.name for p in project.iterdir()] == ["index.html"]  # no temporary left


def test_copy_like_keeps_owner_and_mode(project):
    source = project / "admin.sqlite"
    source.write_bytes(b"SQLite format 3\x00")
    os.chown(source, NOBODY, NOBODY)
    os.chmod(source, 0o640)
    files.copy_like(source, project / "_admin.sqlite")
    assert owner(project / "_admin.sqlite") == (NOBODY, NOBODY)
    assert oct((project / "_admin.sqlite").stat().st_mode)[-3:] == "640"
