"""Writes made in one event-loop step leave as one transport write."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tidings.http.coalesce import CoalescingTransport

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "write after close"
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.closed = True

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5)}.get(name, default)


def _pair() -> tuple[FakeTransport, CoalescingTransport]:
    real = FakeTransport()
    return real, CoalescingTransport(real, asyncio.get_running_loop())  # type: ignore[arg-type]


HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 11\r\n\r\n"


async def test_a_head_and_its_body_leave_as_one_write() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    assert real.writes == []
    assert proxy.get_write_buffer_size() == len(HEAD)
    proxy.write(b'{"ok":true}')
    assert real.writes == [HEAD + b'{"ok":true}']
    await asyncio.sleep(0)  # the scheduled flush finds nothing left to send
    assert real.writes == [HEAD + b'{"ok":true}']


async def test_a_head_without_a_body_in_the_same_step_is_sent_at_the_next() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    await asyncio.sleep(0)
    assert real.writes == [HEAD]


async def test_stream_chunks_after_the_first_go_straight_through() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    proxy.writelines([b"a", b"", b"b"])
    proxy.write(b"c")
    assert real.writes == [HEAD + b"a", b"b", b"c"]


async def test_close_sends_a_held_head_first() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    proxy.close()
    assert real.writes == [HEAD]
    assert real.closed
    await asyncio.sleep(0)
    assert real.writes == [HEAD]


async def test_abort_drops_a_held_head() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    proxy.abort()
    await asyncio.sleep(0)
    assert real.writes == []
    assert real.aborted


async def test_a_head_is_not_written_to_a_transport_that_closed_meanwhile() -> None:
    real, proxy = _pair()
    proxy.write(HEAD)
    real.close()
    await asyncio.sleep(0)
    assert real.writes == []


async def test_other_attributes_are_the_real_transports() -> None:
    _, proxy = _pair()
    assert proxy.get_extra_info("peername") == ("127.0.0.1", 5)
    assert proxy.is_closing() is False
