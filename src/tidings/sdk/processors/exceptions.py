"""The exceptions a processor raises, where processors written for the tracking library import
them from (the classes are those of :mod:`tidings.sdk.exceptions`)."""

from tidings.sdk.exceptions import EventEmissionExit, NoBackendEnabled, NoTransformerImplemented

__all__ = ["EventEmissionExit", "NoBackendEnabled", "NoTransformerImplemented"]
