"""Offline stand-in for the get-pip script ansible-test downloads to bootstrap pip.

ansible-test looks for ~/.ansible/test/cache/get_pip_<version>.py before downloading it
(ansible/ansible#77304); this script installs pip from the standard library's ensurepip
and then the requested packages from the configured package index.
"""
import os
import subprocess
import sys

env = dict(os.environ)
env.pop("PIP_CONFIG_FILE", None)  # ensurepip points it at /dev/null; keep the index config
subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True, env=env)
packages = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.run([sys.executable, "-m", "pip", "install", "-q", *packages], check=True, env=env)
