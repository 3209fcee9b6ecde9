"""The HTTP face of chm-search: FastAPI routes, query building, errors; and the CLI that runs it."""
