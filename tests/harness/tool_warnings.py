"""Warnings in what a tool (ansible-playbook, ansible-doc, ...) printed, told apart by origin:
ours (this collection's code, roles and playbooks) must never warn; a third-party library's
warning is reported but does not fail a test, since only a lock upgrade can change it."""
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_PYTHON_WARNING = re.compile(r"^(?P<file>/\S+?\.py):\d+: (?P<category>\w*Warning): (?P<message>.*)$")
_ANSIBLE_WARNING = re.compile(r"^\[(?P<category>(?:DEPRECATION )?WARNING)\]: (?P<message>.*)$")
# Code of this collection as Python sees it: the checkout (without its venvs and caches) or
# AnsiballZ's copy on a target.
_OUR_PATHS = re.compile(r"ansible_collections/jampy/deploy/|^" + re.escape(str(REPO)) +
                        r"/(?!\.venv/|\.cache/(?!collections/))")


def warnings_in(output):
    """[(origin, category, text)] with origin "ours" or "third-party", for every Python
    warning line and every Ansible warning in ``output``. Ansible's own warnings are about
    what it was given (our playbooks, roles and module results), so they count as ours."""
    found = []
    for line in output.splitlines():
        python = _PYTHON_WARNING.match(line.strip())
        if python:
            origin = "ours" if _OUR_PATHS.search(python.group("file")) else "third-party"
            found.append((origin, python.group("category"), line.strip()))
            continue
        ansible = _ANSIBLE_WARNING.match(line.strip())
        if ansible:
            found.append(("ours", ansible.group("category"), line.strip()))
    return found


def assert_none_of_ours(output, allowed=()):
    """Fail when ``output`` holds a warning of ours (except texts matching ``allowed``
    patterns); return the third-party ones."""
    found = warnings_in(output)
    ours = [text for origin, _category, text in found
            if origin == "ours" and not any(re.search(p, text) for p in allowed)]
    assert not ours, "warnings from jampy.deploy:\n" + "\n".join(ours)
    return [text for origin, _category, text in found if origin == "third-party"]


def without_warnings(stderr):
    """stderr without its warning lines and the source line Python prints under each."""
    kept, skip_next = [], False
    for line in stderr.splitlines():
        if skip_next and line.startswith("  "):
            skip_next = False
            continue
        skip_next = bool(_PYTHON_WARNING.match(line.strip()))
        if not skip_next and not _ANSIBLE_WARNING.match(line.strip()):
            kept.append(line)
    return "\n".join(kept)


if __name__ == "__main__":
    import sys

    # python -m tests.harness.tool_warnings FILE...: fail when a file holds a warning of ours.
    status = 0
    for name in sys.argv[1:]:
        try:
            assert_none_of_ours(Path(name).read_text(errors="replace"))
        except AssertionError as exc:
            print(f"{name}: {exc}")
            status = 1
    sys.exit(status)
