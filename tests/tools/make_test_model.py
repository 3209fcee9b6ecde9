"""Moved to devtools/argos_models.py; this alias lets in-flight branches rebase. Removed this session."""

from devtools.argos_models import *  # noqa: F403
