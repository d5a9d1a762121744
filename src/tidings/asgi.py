"""``tidings.asgi:app`` for external ASGI servers (and ``serve --workers N``); settings from env."""

from tidings.app import create_app
from tidings.config import load

app = create_app(load())
