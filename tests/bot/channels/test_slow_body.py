"""A client that sends part of a body and then nothing loses its connection after [server] body_timeout,
instead of holding a socket indefinitely; a body announced too big is refused before it is read."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from config.errors import ConfigError
from config.settings import load_settings
from models import InboxMessage

GUARD = 30  # seconds: only so a broken server fails the test instead of hanging it


async def _open(service) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = urlsplit(service.base_url)
    return await asyncio.open_connection(url.hostname, url.port)


def _head(length: int) -> bytes:
    return (
        "POST /wecom/aibot?msg_signature=x&timestamp=1&nonce=1 HTTP/1.1\r\n"
        "Host: gridwhistle\r\nContent-Type: application/json\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


@pytest.fixture
async def impatient(service):
    """The service with a body timeout short enough that the test does not wait long for it."""
    await service.stop()
    server = service.settings.server.model_copy(update={"body_timeout": 0.2})
    service.settings = service.settings.model_copy(update={"server": server})
    await service.start()
    return service


async def test_a_partial_body_gets_408_and_the_connection_closed(impatient, caplog) -> None:
    for _ in range(3):
        reader, writer = await _open(impatient)
        writer.write(_head(1000) + b'{"encrypt": "')  # 13 of the 1000 bytes, then nothing
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), GUARD)  # read() returns only once the server closes
        writer.close()
        assert answer.startswith(b"HTTP/1.1 408")
        assert b"Connection: close" in answer
    assert await InboxMessage.all().count() == 0
    lines = [r.getMessage() for r in caplog.records if "body not received" in r.getMessage()]
    assert lines == ["/wecom/aibot callback refused: body not received within 0.2 s; connection closed"]


async def test_a_body_that_arrives_in_pieces_in_time_is_read(impatient) -> None:
    reader, writer = await _open(impatient)
    body = b'{"encrypt": "QUJD"}'
    writer.write(_head(len(body)) + body[:5])
    await writer.drain()
    writer.write(body[5:])
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), GUARD)
    writer.close()
    assert status.startswith(b"HTTP/1.1 403")  # read in full, then refused for its forged signature


async def test_a_body_announced_too_big_is_refused_unread(service) -> None:
    reader, writer = await _open(service)
    writer.write(_head(50 * 1024 * 1024) + b"[")  # 50 MB announced, one byte sent
    await writer.drain()
    status = await asyncio.wait_for(reader.readline(), GUARD)
    writer.close()
    assert status.startswith(b"HTTP/1.1 413")


@pytest.mark.parametrize("value", [0, -1, 1000, "soon"])
def test_a_bad_body_timeout_names_the_key(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(server={"body_timeout": value})
    assert "[server] body_timeout" in str(caught.value)
