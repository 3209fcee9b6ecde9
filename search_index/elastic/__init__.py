"""The engines with Elasticsearch's API (Elasticsearch 9, OpenSearch 2/3), split as Wagtail splits
its search backends: ``mapping`` (what an index version is), ``query_compiler`` (requests from
validated queries), ``results`` (answers into engine-neutral types), ``bulk`` (writes accounted
per document), ``rebuilder`` (versions behind an alias), ``clients`` (the only part that differs
between the two engines) and ``backend`` (the ``SearchBackend`` that puts them together).
"""
