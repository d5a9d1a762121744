"""``tidings.asgi:app`` for external ASGI servers (and ``serve --workers N``); settings from env."""

from tidings.app import create_app
from tidings.config import load
from tidings.gc_tuning import tune_for_server

tune_for_server()
app = create_app(load())
