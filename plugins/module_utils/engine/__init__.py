"""jampy.deploy engine: reads, compares and changes Jam.py projects.

A plain Python package without Ansible imports, so it is testable on its own and the
modules stay thin. The read side: ``project`` (a project folder and its admin.sqlite),
``metadata`` (the admin rows that make up an application), ``archive`` (metadata zips),
``export`` (the Builder's Export, made deterministic) and ``info`` (a report on a project).
"""
