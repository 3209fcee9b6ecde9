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
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import ROOT

LISTS_LOCK = Path("/var/lib/apt/lists/lock")
DPKG_LOCK = Path("/var/lib/dpkg/lock-frontend")
MISSING = "chm-search-no-such-package"


def hold(path: Path, taken: threading.Event, until: Callable[[float], bool]) -> None:
    """Hold ``path``'s lock as apt does, from when it is free until ``until(seconds held)`` is true."""
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
        since = time.monotonic()
        while not until(time.monotonic() - since):
            time.sleep(0.1)


def installing_the_missing_package() -> bool:
    """Whether an ``apt-get install`` of MISSING is running (the script's install step)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if argv and argv[0].endswith("apt-get") and "install" in argv and MISSING in argv:
                return True
    return False


def test_the_script_waits_for_apt_locks(tmp_path: Path) -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None or not DPKG_LOCK.exists():
        pytest.skip("needs root and apt-get (the script's own setting: a Debian-family machine as root)")
    # The package lists' lock for 4 s; dpkg's until the script's install step has been seen
    # waiting for it for 2 s (or 120 s have passed), rather than for a fixed 25 s.
    taken = [threading.Event(), threading.Event()]
    started = time.monotonic()
    seen: dict[str, float] = {}  # "waiting": when the install step was first seen; "released": when let go

    def install_has_waited(_held: float) -> bool:
        now = time.monotonic()
        if "waiting" not in seen and installing_the_missing_package():
            seen["waiting"] = now
        if now - seen.get("waiting", now) >= 2 or now - started > 120:
            seen["released"] = now
            seen["waiting at release"] = float(installing_the_missing_package())
            return True
        return False

    holders = [
        threading.Thread(target=hold, args=(LISTS_LOCK, taken[0], lambda held: held >= 4)),
        threading.Thread(target=hold, args=(DPKG_LOCK, taken[1], install_has_waited)),
    ]
    for holder in holders:
        holder.start()
    for event in taken:
        assert event.wait(70), "could not take apt's locks"
    done = subprocess.run(
        [str(ROOT / "scripts" / "system-packages.sh"), MISSING],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "APT_LOCK_TIMEOUT": "120"},
        check=False,
    )
    finished = time.monotonic()
    for holder in holders:
        holder.join()
    assert "Could not get lock" not in done.stderr, done.stderr
    assert "another apt is updating the package lists; waiting" in done.stderr
    # apt's answer about the package came after the install step waited for dpkg's lock
    assert f"Unable to locate package {MISSING}" in done.stderr, done.stderr
    assert "waiting" in seen, "the script's install step was never seen waiting for dpkg's lock"
    assert seen["waiting at release"], "the install step ended while dpkg's lock was still held"
    assert done.returncode != 0 and finished >= seen["released"]
