"""The search index: derived from the catalogue, rebuildable, behind one small interface.

``base`` holds the interface, the query model and the results; ``tantivy_backend`` is the embedded
default; ``elastic`` is the backend that scales out (Elasticsearch 9 and OpenSearch).
``get_backend`` picks one from settings.
"""
