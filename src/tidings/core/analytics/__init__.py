"""The analytics tier as a service: feeding the columnar copy after commit, keeping its
high-water mark, mirroring deletes, and answering the :mod:`tidings.core.event_sql`
contract from the copy plus the unapplied tail (see docs/analytics.md)."""
