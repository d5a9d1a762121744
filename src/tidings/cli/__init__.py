"""The ``tidings`` command: a click group; each command family lives in its own module."""

from __future__ import annotations

from tidings.cli.analytics import analytics
from tidings.cli.backup import backup, restore
from tidings.cli.bench import bench
from tidings.cli.clients import client
from tidings.cli.common import global_options, main
from tidings.cli.consumers import consumer
from tidings.cli.data import erase, prune, seal
from tidings.cli.export import export
from tidings.cli.imports import import_
from tidings.cli.migrate import migrate_data
from tidings.cli.serve import init, serve
from tidings.cli.sources import source
from tidings.cli.tokens import token
from tidings.cli.users import user

main.add_command(serve)
main.add_command(init)
main.add_command(user)
main.add_command(source)
main.add_command(token)
main.add_command(client)
main.add_command(export)
main.add_command(import_)
main.add_command(migrate_data)
main.add_command(prune)
main.add_command(seal)
main.add_command(erase)
main.add_command(backup)
main.add_command(restore)
main.add_command(consumer)
main.add_command(bench)
main.add_command(analytics)
global_options(main)

__all__ = ["main"]
