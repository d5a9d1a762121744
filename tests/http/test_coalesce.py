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


async def test_headers_and_body_written_in_one_step_leave_as_one_write() -> None:
    real, proxy = _pair()
    proxy.write(b"HTTP/1.1 200 OK\r\n\r\n")
    proxy.write(b'{"ok":true}')
    assert real.writes == []
    assert proxy.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\n") + 11
    await asyncio.sleep(0)
    assert real.writes == [b'HTTP/1.1 200 OK\r\n\r\n{"ok":true}']


async def test_writes_in_later_steps_are_sent_separately_and_in_order() -> None:
    real, proxy = _pair()
    proxy.write(b"a")
    await asyncio.sleep(0)
    proxy.write(b"b")
    proxy.writelines([b"c", b"", b"d"])
    await asyncio.sleep(0)
    assert real.writes == [b"a", b"bcd"]


async def test_close_sends_what_is_buffered_first() -> None:
    real, proxy = _pair()
    proxy.write(b"last words")
    proxy.close()
    assert real.writes == [b"last words"]
    assert real.closed
    await asyncio.sleep(0)  # the scheduled flush finds nothing left to send
    assert real.writes == [b"last words"]


async def test_abort_drops_the_buffer() -> None:
    real, proxy = _pair()
    proxy.write(b"never sent")
    proxy.abort()
    await asyncio.sleep(0)
    assert real.writes == []
    assert real.aborted


async def test_nothing_is_written_to_a_transport_that_closed_meanwhile() -> None:
    real, proxy = _pair()
    proxy.write(b"late")
    real.close()
    await asyncio.sleep(0)
    assert real.writes == []


async def test_other_attributes_are_the_real_transports() -> None:
    _, proxy = _pair()
    assert proxy.get_extra_info("peername") == ("127.0.0.1", 5)
    assert proxy.is_closing() is False
