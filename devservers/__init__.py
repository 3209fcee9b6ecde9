"""Development and test servers the suite starts itself (PostgreSQL, OpenSearch); never part of the package."""
