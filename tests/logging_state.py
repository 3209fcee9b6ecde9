"""Tests that configure logging as the commands do put the process's logging back afterwards."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from record_catalogue.logs import logging_config


@contextmanager
def logging_restored() -> Iterator[None]:
    """Root handlers and level, and the levels of the loggers ``logging_config`` names, as they were."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    named = {name: logging.getLogger(name) for name in logging_config("text", "INFO")["loggers"]}
    saved = {name: (lg.level, list(lg.handlers), lg.propagate) for name, lg in named.items()}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, (lvl, hs, propagate) in saved.items():
            named[name].setLevel(lvl)
            named[name].handlers[:] = hs
            named[name].propagate = propagate
