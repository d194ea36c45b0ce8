"""The revisions of the catalog schema, oldest first (see :mod:`vzb.results.migrations`)."""
