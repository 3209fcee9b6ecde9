"""Tools the tests and the benchmarks share: a synthetic record corpus and tiny real Argos models.

Neither ``tests/`` nor ``bench/`` imports the other; what both need lives here, beside
``devservers/`` (the real OpenSearch and PostgreSQL they start). Nothing here is part of the
installed package.
"""
