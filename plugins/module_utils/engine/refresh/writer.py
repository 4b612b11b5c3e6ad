"""The refresh's writer thread: the target database loads one batch while the next ones
are read and masked."""
import queue
import threading


class BatchWriter:
    """Runs the writes (functions of a connection) in order, in a thread and on a
    connection of its own, so that the target database loads one batch while the next ones
    are read and masked; at most two batches wait (memory stays bounded). After a failure
    the later writes are dropped and the error is raised in the caller at its next call."""

    def __init__(self, engine):
        self._engine = engine
        self._jobs = queue.Queue(maxsize=2)
        self._error = None
        self._thread = threading.Thread(target=self._work, name="jampy-refresh-writer",
                                        daemon=True)
        self._thread.start()

    def _work(self):
        conn = None
        try:
            for job in iter(self._jobs.get, None):
                try:
                    if self._error is None:
                        conn = conn or self._engine.connect()
                        job(conn)
                except BaseException as exc:  # raised again in the caller
                    self._error = exc
                finally:
                    self._jobs.task_done()
        finally:
            if conn is not None:
                conn.close()

    def _check(self):
        if self._error is not None:
            raise self._error

    def submit(self, job):
        """Queue ``job(conn)`` after the jobs before it (waits while two are queued)."""
        self._check()
        self._jobs.put(job)

    def wait(self):
        """Until every write submitted so far is done."""
        self._jobs.join()
        self._check()

    def close(self):
        """Stop the thread once the queued jobs are done."""
        self._jobs.put(None)
        self._thread.join()
