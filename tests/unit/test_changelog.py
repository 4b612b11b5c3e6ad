"""CHANGELOG.rst is what antsibull-changelog renders from changelogs/fragments."""
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_changelog_is_rendered_from_the_fragments(tmp_path):
    fresh = tmp_path / "CHANGELOG.rst"
    subprocess.run(["bash", REPO / "scripts" / "changelog.sh", fresh], check=True,
                   capture_output=True, text=True)
    assert "v" + next(line.split()[1] for line in (REPO / "galaxy.yml").read_text().splitlines()
                      if line.startswith("version:")) in fresh.read_text()
    assert (REPO / "CHANGELOG.rst").read_text() == fresh.read_text(), (
        "CHANGELOG.rst does not match changelogs/fragments: run `make changelog` and commit "
        "CHANGELOG.rst")
