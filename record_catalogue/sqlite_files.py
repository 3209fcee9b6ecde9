"""A SQLite catalogue whose files turn unwritable under a running process (``chattr +i``, a
read-only remount, ``chmod a-w``): reads go on where they safely can, writes are refused with an
error naming the file, and the process is never killed by the kernel.

Why a check of our own, before every statement: SQLite alone does not say so clearly.

- Only the database file unwritable: in WAL mode SQLite keeps accepting writes (they land in the
  ``-wal`` file and are never checkpointed into the database), so a push "succeeded" into a
  catalogue the operator froze.
- The ``-wal`` and ``-shm`` files unwritable too: every connection of a process that opened the
  catalogue before shares one read-write memory mapping of ``-shm``; the next write into a page of
  it (a reader's read mark, not only a writer's) makes the kernel send SIGBUS, which kills the
  whole process. A process that opens the catalogue once it is unwritable maps ``-shm`` read-only
  and reads safely; one that mapped it read-write can only stop using it.

So: writes are refused (``CatalogueReadOnly``) while any of the files is unwritable; and a process
whose connections were opened while ``-shm`` was writable refuses every statement once ``-shm``
or ``-wal`` is not, saying to restart it (the restarted process reads the frozen catalogue). The
database file itself is never memory-mapped (``PRAGMA mmap_size=0``).

What remains: a statement already past this check when the files change, and the last connection
closing at exit (SQLite checkpoints then, writing to the mapping), can still meet SIGBUS; an
operator freezing a catalogue stops the processes using it, or freezes the database file alone.
"""

from __future__ import annotations

import os
from pathlib import Path

from record_catalogue.db import CatalogueUnavailable

# Statements that only read (and the transaction control around them).
_READING = ("SELECT", "WITH", "PRAGMA", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "EXPLAIN")


class CatalogueReadOnly(CatalogueUnavailable):
    """The catalogue's files cannot be written (immutable, read-only); the message names them."""

    error_code = "catalogue_read_only"


class SqliteFiles:
    """The database file and its ``-wal`` and ``-shm`` companions, checked before statements."""

    def __init__(self, database: Path) -> None:
        self.database = database
        self.wal = Path(f"{database}-wal")
        self.shm = Path(f"{database}-shm")
        # Whether a connection of this process was opened while -shm could be written (so that
        # SQLite mapped it read-write).
        self.mapped_writable = False

    @staticmethod
    def _unwritable(path: Path) -> bool:
        # os.access honours the immutable flag even for root (inode_permission refuses MAY_WRITE).
        return path.exists() and not os.access(path, os.W_OK)

    def connecting(self) -> bool:
        """Before a new connection's first statement: note how it will map ``-shm``; whether the
        connection opens read-only (the database file cannot be written now, so SQLite opens it
        read-only and keeps it so)."""
        self.check("PRAGMA")
        if not self._unwritable(self.shm):
            self.mapped_writable = True
        return self._unwritable(self.database)

    def writable_again(self) -> bool:
        """Whether a connection opened read-only could now write: it must be replaced (SQLite
        never turns an open connection read-write, so it would refuse writes for its lifetime)."""
        return not self._unwritable(self.database)

    def check(self, statement: str) -> None:
        """Raise ``CatalogueReadOnly`` if ``statement`` must not run on the files as they are now."""
        unwritable = [path for path in (self.database, self.wal, self.shm) if self._unwritable(path)]
        if not unwritable:
            return
        names = ", ".join(path.name for path in unwritable)
        if self.mapped_writable and (self.shm in unwritable or self.wal in unwritable):
            raise CatalogueReadOnly(
                f"the catalogue's files were made read-only under this process ({names} in {self.database.parent}): "
                "it stops using them rather than be killed by the kernel (SQLite's shared memory is mapped "
                "read-write); restart it to read the catalogue as it is, or make them writable again "
                "(chattr -i / chmod u+w)"
            )
        if not statement.lstrip()[:9].upper().startswith(_READING):
            raise CatalogueReadOnly(
                f"the catalogue is read-only: {names} in {self.database.parent} cannot be written (immutable or "
                "read-only file); reads go on, writes are refused until it is writable again (chattr -i / chmod u+w)"
            )
