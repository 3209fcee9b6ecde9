"""The catalogue: the source of truth.

Every record, every language version of every text field with its provenance, ingest errors and
the audit trail live here (SQL). The search index is derived from it and can always be rebuilt.
"""
