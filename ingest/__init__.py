"""Ingest: sources become Records, and the pipeline runs read → detect → store → index."""
