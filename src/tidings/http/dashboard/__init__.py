"""The web dashboard: server-rendered pages, session login, a vendored chart library."""
