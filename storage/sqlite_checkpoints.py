"""WAL checkpoints of a SQLite file, made in a thread of their own rather than by a commit.

SQLite copies the write-ahead log back into the database file (a checkpoint, with its fsync)
inside whichever commit first finds the log past 1,000 pages. Our commits run on the event
loop's thread (storage/sqlite_in_loop.py, bot/dialog_state.py), so every few seconds of
answering one person's tap also paid for a checkpoint, and everyone else's update waited for
it: the tens-of-milliseconds stalls bench/export_bench.py showed every 14 s or so. Here the
connections that commit never checkpoint (``wal_autocheckpoint=0``), and a thread, on a
connection of its own, checkpoints every few seconds whatever was written since. sqlite3
releases the interpreter's lock while SQLite works, and a PASSIVE checkpoint waits for nobody
and holds back nobody: readers keep their snapshot, writers keep appending.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from pathlib import Path

__all__ = ["CHECK_SECONDS", "Checkpointer", "no_checkpoint_on_commit"]

log = logging.getLogger(__name__)

# How often the log is looked at (a stat, no SQL) and, if written since, checkpointed. Not
# more often: once a checkpoint has copied the whole log back, the next commit starts the log
# again from its beginning and fsyncs its new header, on the event loop's thread (strace
# showed it: those are the only fsyncs the loop makes), so each checkpoint costs one disk
# flush on the loop. Every 5 s bounds that to one flush per file per 5 s, while the log stays
# at what 5 s of taps write (SQLite's own threshold, 1,000 pages, is a few seconds of taps).
CHECK_SECONDS = 5.0


def no_checkpoint_on_commit(connection: sqlite3.Connection) -> None:
    """For a connection that commits on the event loop: its commits leave the log as it is."""
    connection.execute("PRAGMA wal_autocheckpoint=0")


class Checkpointer:
    """Checkpoints one database file from a daemon thread until `stop()`."""

    def __init__(self, path: Path | str, *, every: float = CHECK_SECONDS) -> None:
        self.path = Path(path)
        self._wal = self.path.with_name(self.path.name + "-wal")
        self._every = every
        self._stopped = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: tuple[int, int] | None = None  # the log's (mtime, size) at the last look
        self.checkpoints = 0  # how many were made (for tests and the curious)

    def start(self) -> None:
        """Start the thread (again, after a `stop()`); nothing if it runs."""
        if self._thread is None:
            self._stopped.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"checkpoints {self.path.name}", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread and make a last checkpoint, so the log does not outlive us."""
        self._stopped.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def checkpoint_if_written(self, connection: sqlite3.Connection) -> bool:
        """Checkpoint if the log was written since the last look. (Its size says nothing:
        after a checkpoint the next writer starts the log again from its beginning, and the
        file keeps its size.)"""
        try:
            found = self._wal.stat()
        except FileNotFoundError:
            return False
        seen = (found.st_mtime_ns, found.st_size)
        if seen == self._seen:
            return False
        self._seen = seen  # a write during the checkpoint changes it: seen next time
        connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        self.checkpoints += 1
        return True

    def _run(self) -> None:
        try:
            connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        except sqlite3.Error as error:  # the bot still works: commits then grow the log
            log.warning("WAL checkpoints of %s not started: %s", self.path.name, error)
            return
        try:
            while not self._stopped.wait(self._every):
                try:
                    self.checkpoint_if_written(connection)
                except sqlite3.Error as error:  # busy or gone for a moment: next time
                    log.debug("WAL checkpoint of %s skipped: %s", self.path.name, error)
            with contextlib.suppress(sqlite3.Error):
                self._seen = None
                self.checkpoint_if_written(connection)
        finally:
            connection.close()
