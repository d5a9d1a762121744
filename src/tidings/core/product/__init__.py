"""Product analytics questions (api.md section 8): funnels, retention and people.

Each question is DuckDB SQL over the ``events`` relation of :mod:`tidings.core.event_sql`, with
properties read only through ``EventSQL.prop``, so the same question runs on the exact fallback
(:class:`~tidings.core.event_sql.LoadedEvents`) and on the analytics tier.
"""
