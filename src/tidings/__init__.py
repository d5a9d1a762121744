"""Tidings: a self-hosted event tracking and analytics server."""

__version__ = "0.1.0"
