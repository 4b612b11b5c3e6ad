"""Hold one of Jam.py's own file locks, taken by Jam.py's code, for a while.

Usage: hold_lock.py <project_dir> <lock name> <seconds>; prints "waiting" when it asks for
the lock, then "held <time.time()>" once it has it.
"""
import sys
import time

from jam.wsgi import create_application

app = create_application(sys.argv[1], testing=True)
print("waiting", flush=True)
with app.admin.lock(sys.argv[2]):
    print("held", time.time(), flush=True)
    time.sleep(float(sys.argv[3]))
print("released", flush=True)
