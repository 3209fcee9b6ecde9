"""The search index: derived from the catalogue, rebuildable, behind one small interface.

``base`` holds the interface, the query model and the results; ``tantivy_backend`` is the embedded
default; ``elasticsearch9`` is the backend that scales out. ``get_backend`` picks one from settings.
"""
