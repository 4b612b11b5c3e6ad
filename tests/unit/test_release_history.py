"""The release history on its own: where it may live, which release is deployed, what
"previous" and an id resolve to (with the known ids when they resolve to nothing), atomic
private files, pruning."""
import datetime
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate.release_history import (
    ReleaseHistory, ReleaseHistoryError, default_history_path, listing, release_id)

T0 = datetime.datetime(2026, 12, 7, 2, 0, 0, tzinfo=datetime.timezone.utc)


def add(history, minute, fingerprint, tmp_path, keep=10):
    """A release recorded at T0 + ``minute`` with metadata ``fingerprint``."""
    zip_path = tmp_path / f"{fingerprint}.zip"
    zip_path.write_bytes(fingerprint.encode())
    when = T0 + datetime.timedelta(minutes=minute)
    record = {"id": release_id(when, fingerprint), "time": when.isoformat(),
              "fingerprint": fingerprint, "msg": f"imported {fingerprint}"}
    return record["id"], history.add(zip_path, record, keep)


@pytest.fixture
def history(tmp_path):
    (tmp_path / "shop").mkdir()
    return ReleaseHistory(tmp_path / "shop")


def test_beside_the_project_and_never_inside(tmp_path, history):
    assert history.path == str(tmp_path / "shop-releases") == default_history_path(
        tmp_path / "shop/")
    for inside in ("shop/releases", "shop/static/releases", "shop"):
        with pytest.raises(ReleaseHistoryError, match="inside the project"):
            ReleaseHistory(tmp_path / "shop", tmp_path / inside)
    (tmp_path / "link").symlink_to(tmp_path / "shop")
    with pytest.raises(ReleaseHistoryError, match="inside the project"):
        ReleaseHistory(tmp_path / "shop", tmp_path / "link" / "releases")


def test_records_are_private_and_complete(tmp_path, history):
    assert history.releases() == [] and listing([], "a" * 64) == ([], None)
    first, pruned = add(history, 0, "a" * 64, tmp_path)
    assert pruned == []
    assert stat.S_IMODE(os.stat(history.path).st_mode) == 0o700
    assert sorted(os.listdir(history.path)) == [f"{first}.json", f"{first}.zip"]
    for name in os.listdir(history.path):
        assert stat.S_IMODE(os.stat(os.path.join(history.path, name)).st_mode) == 0o600
    assert open(history.zip_path({"id": first}), "rb").read() == b"a" * 64
    assert json.load(open(os.path.join(history.path, f"{first}.json")))["id"] == first
    assert first == "20261207T020000Z_aaaaaaaaaaaa"


def test_deployed_and_previous(tmp_path, history):
    v1 = add(history, 0, "1" * 64, tmp_path)[0]
    with pytest.raises(ReleaseHistoryError, match=f"no release before the deployed one .{v1}"):
        history.resolve("previous", "1" * 64)
    v2 = add(history, 1, "2" * 64, tmp_path)[0]
    assert listing(history.releases(), "2" * 64)[1] == v2
    assert history.resolve("previous", "2" * 64)["id"] == v1
    # A rollback to v1 is recorded as a release of its own; "previous" then is v2.
    back = add(history, 2, "1" * 64, tmp_path)[0]
    releases, deployed = listing(history.releases(), "1" * 64)
    assert deployed == back and [r["id"] for r in releases] == [v1, v2, back]
    assert history.resolve("previous", "1" * 64)["id"] == v2
    assert history.resolve(v1, "1" * 64)["id"] == v1
    assert history.rollback("previous", "1" * 64) == (
        os.path.join(history.path, f"{v2}.zip"), {"to": v2, "from": back})

    with pytest.raises(ReleaseHistoryError) as refused:
        history.resolve("20200101T000000Z_000000000000", "1" * 64)
    assert f"known releases: {v1}, {v2}, {back}" in str(refused.value)
    with pytest.raises(ReleaseHistoryError, match="changed by other means.*known releases"):
        history.resolve("previous", "9" * 64)
    assert listing(history.releases(), "9" * 64)[1] is None


def test_pruning_keeps_the_newest(tmp_path, history):
    ids = [add(history, n, f"{n}" * 64, tmp_path, keep=3) for n in range(5)]
    assert [pruned for made, pruned in ids] == [[], [], [], [ids[0][0]], [ids[1][0]]]
    assert [r["id"] for r in history.releases()] == [made for made, pruned in ids[2:]]
    assert len(os.listdir(history.path)) == 6  # three records and their zips


def test_an_unreadable_record_is_named(tmp_path, history):
    add(history, 0, "a" * 64, tmp_path)
    broken = os.path.join(history.path, "20261207T030000Z_bbbbbbbbbbbb.json")
    with open(broken, "w") as f:
        f.write("{")
    with pytest.raises(ReleaseHistoryError, match=f"{broken} is unreadable"):
        history.releases()


def become_nobody():
    os.setgid(65534)
    os.setuid(65534)


@pytest.fixture
def open_folder():
    """A temporary folder every user may enter (pytest's tmp_path is its owner's alone)."""
    folder = tempfile.mkdtemp(prefix="jampy-history-")
    os.chmod(folder, 0o755)
    yield Path(folder)
    shutil.rmtree(folder)


def test_an_unwritable_history_is_refused_before_anything(open_folder):
    """check_writable run as a user who may not write the project's parent folder (as
    root: the unprivileged user nobody, in a child process)."""
    parent = open_folder / "www"
    (parent / "shop").mkdir(parents=True)
    os.chmod(parent, 0o755)
    code = ("from ansible_collections.jampy.deploy.plugins.module_utils.engine.migrate."
            "release_history import ReleaseHistory\n"
            f"ReleaseHistory({str(parent / 'shop')!r}, {str(parent / 'a/b/releases')!r})"
            ".check_writable()")
    demote = None
    if os.geteuid() == 0:
        os.chown(parent, 0, 0)
        demote = become_nobody
    else:
        os.chmod(parent, 0o555)
    proc = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": os.pathsep.join(
        sys.path)}, preexec_fn=demote, capture_output=True, text=True, check=False)
    assert proc.returncode != 0
    assert ("cannot write the release history " + str(parent / "a/b/releases")
            + f" (permission denied on {parent})") in proc.stderr, proc.stderr
    assert not (parent / "a").exists()
