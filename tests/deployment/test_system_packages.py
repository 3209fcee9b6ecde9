"""scripts/system-packages.sh waits for another apt instead of failing on its lock (issue 13, item 7).

The test holds apt's locks as another apt-get would (fcntl locks on the package lists' and
dpkg's lock files), then asks the script for a package that does not exist: the script must
wait for the locks and get as far as apt's own answer about the package.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT

LISTS_LOCK = Path("/var/lib/apt/lists/lock")
DPKG_LOCK = Path("/var/lib/dpkg/lock-frontend")
MISSING = "chm-search-no-such-package"


def hold(path: Path, seconds: float, taken: threading.Event) -> None:
    with path.open("a") as handle:
        deadline = time.monotonic() + 60
        while True:  # another apt may hold it right now: wait our turn
            try:
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        taken.set()
        time.sleep(seconds)


def test_the_script_waits_for_apt_locks(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None or not DPKG_LOCK.exists():
        pytest.skip("needs root and apt-get (the script's own setting: a Debian-family machine as root)")
    taken = [threading.Event(), threading.Event()]
    holders = [
        threading.Thread(target=hold, args=(LISTS_LOCK, 4, taken[0])),
        threading.Thread(target=hold, args=(DPKG_LOCK, 25, taken[1])),
    ]
    for holder in holders:
        holder.start()
    for event in taken:
        assert event.wait(70), "could not take apt's locks"
    started = time.monotonic()
    done = subprocess.run(
        [str(ROOT / "scripts" / "system-packages.sh"), MISSING],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "APT_LOCK_TIMEOUT": "120"},
        check=False,
    )
    elapsed = time.monotonic() - started
    for holder in holders:
        holder.join()
    assert "Could not get lock" not in done.stderr, done.stderr
    assert "another apt is updating the package lists; waiting" in done.stderr
    # apt's answer about the package came after the install step waited for dpkg's lock
    assert f"Unable to locate package {MISSING}" in done.stderr, done.stderr
    assert done.returncode != 0 and elapsed >= 20
