"""The analytics engine: a columnar copy of the events in DuckDB (see docs/analytics.md).

Storage-level, like :mod:`tidings.storage`: it knows DuckDB and its table layout, and nothing
about when it is fed or asked; :mod:`tidings.core.analytics` drives it.
"""
