"""Build trackers from settings: ``{"ENGINE": "dotted.Class", "OPTIONS": {...}}`` dicts.

Any dict with an ``ENGINE`` key becomes an instance of that class, built with its OPTIONS as
keyword arguments; OPTIONS may nest more engines (a router's backends). Other dicts and lists
are walked, so an entry without ENGINE stays a plain dict (and registering it as a backend
then fails with ValueError, naming its class).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import import_module
from typing import Any

from tidings.sdk.locator import ContextLocator
from tidings.sdk.tracker import Tracker


def instantiate_objects(node: Any) -> Any:
    """``node`` with every ENGINE dict in it replaced by the object it describes."""
    if isinstance(node, Mapping):
        if "ENGINE" in node:
            return instantiate_from_dict(node)
        return {key: instantiate_objects(value) for key, value in node.items()}
    if isinstance(node, list):
        return [instantiate_objects(child) for child in node]
    return node


def instantiate_from_dict(values: Mapping[str, Any]) -> Any:
    """Import ``values["ENGINE"]`` and call it with the (instantiated) OPTIONS.

    Raises:
        ValueError: ``Cannot find class X`` when the module or class cannot be imported.
    """
    name = values["ENGINE"]
    options = instantiate_objects(values.get("OPTIONS") or {})
    try:
        module_name, _, class_name = str(name).rpartition(".")
        cls = getattr(import_module(module_name), class_name)
    except (ValueError, AttributeError, TypeError, ImportError):
        raise ValueError(f"Cannot find class {name}") from None
    return cls(**options)


def tracker_from_settings(
    backends: Mapping[str, Any] | None = None,
    processors: list[Any] | None = None,
    context_locator: ContextLocator | None = None,
) -> Tracker:
    """A :class:`Tracker` from the ``EVENT_TRACKING_BACKENDS`` / ``_PROCESSORS`` shapes."""
    return Tracker(
        backends=instantiate_objects(dict(backends or {})),
        context_locator=context_locator,
        processors=instantiate_objects(list(processors or [])),
    )
