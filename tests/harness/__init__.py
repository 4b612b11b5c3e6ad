"""Test harness around the real Jam.py: its venv, projects, apps and processes."""
