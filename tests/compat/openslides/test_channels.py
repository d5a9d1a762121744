"""Notify channels over the hub: routing by everyone, user and channel id."""

from __future__ import annotations

from tests.core.live.helpers import make_hub, run
from tidings.compat.openslides.channels import NOTIFY, NotifyChannels, channel_uid


def test_notify_routes_by_all_user_and_channel() -> None:
    async def scenario() -> dict[str, int]:
        hub = make_hub()
        channels = NotifyChannels(hub)
        await hub.start()
        subs = {"u1": channels.open(1), "u2a": channels.open(2)}
        subs["u2b"] = channels.open(2)
        await channels.send({"name": "x", "to_users": [1]})
        await channels.send({"name": "y", "to_channels": [subs["u2b"].name]})
        await channels.send({"name": "z", "to_all": True})
        counts = {name: len(await sub.get(1) or []) for name, sub in subs.items()}
        await hub.close()
        return counts

    assert run(scenario) == {"u1": 2, "u2a": 1, "u2b": 2}


def test_a_routed_message_carries_only_its_sender_name_and_message() -> None:
    async def scenario() -> list[bytes] | None:
        hub = make_hub()
        channels = NotifyChannels(hub)
        await hub.start()
        sub = channels.open(1)
        message = {"sender_user_id": 1, "sender_channel_id": sub.name, "name": "hi"}
        await channels.send({**message, "message": [1], "to_all": True, "to_users": [2]})
        got = await sub.get(5)
        await hub.close()
        return got

    [line] = run(scenario) or [b""]
    assert line.endswith(b"\n")
    assert line.startswith(b'{"sender_user_id":1,"sender_channel_id":"')
    assert line.endswith(b'","name":"hi","message":[1]}\n')


def test_channel_ids_name_the_process_and_user_and_differ() -> None:
    hub = make_hub()
    channels = NotifyChannels(hub)
    first, second = channels.open(7), channels.open(7)
    assert first.name.startswith(hub.instance + ":7:")
    assert first.name != second.name
    assert channel_uid(first.name) == 7
    assert [sub.name for sub in hub.listeners(NOTIFY)] == [first.name, second.name]


def test_a_broadcast_reaches_every_channel_of_this_process() -> None:
    async def scenario() -> list[list[bytes] | None]:
        hub = make_hub()
        channels = NotifyChannels(hub)
        subs = [channels.open(1), channels.open(0)]
        channels.broadcast(b"line\n")
        return [await sub.get(5) for sub in subs]

    assert run(scenario) == [[b"line\n"], [b"line\n"]]
