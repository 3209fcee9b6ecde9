"""Moved to devtools/corpus.py; this alias lets in-flight branches rebase. Removed this session."""

from devtools.corpus import *  # noqa: F403
