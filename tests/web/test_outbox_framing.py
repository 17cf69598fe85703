"""The outbox's own text framing (web/outbox.py) against the websockets library's, byte for byte: the
fast way must put on the wire exactly what `conn.send_text` would, at every length boundary of
RFC 6455's three length encodings, and step aside where the library must do the work (an extension
negotiated, a connection no longer open)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.frames import Frame, Opcode
from websockets.protocol import SERVER, State
from websockets.server import ServerProtocol

from web.outbox import Outbox, _raw_framing, _text_frame_head


def library_bytes(payload: bytes) -> bytes:
    return Frame(Opcode.TEXT, payload).serialize(mask=False, extensions=[])


@pytest.mark.parametrize("length", [0, 1, 125, 126, 127, 65535, 65536, 70000])
def test_header_matches_the_library_at_each_length_boundary(length):
    payload = b"x" * length
    assert _text_frame_head(length) + payload == library_bytes(payload)


@given(st.binary(max_size=300))
def test_header_matches_the_library_for_any_payload(payload):
    assert _text_frame_head(len(payload)) + payload == library_bytes(payload)


class FakeUvicornProtocol:
    """The attributes of uvicorn's websockets-sansio protocol the outbox reads, over a real
    `websockets` server connection."""

    def __init__(self, extensions: list) -> None:
        self.conn = ServerProtocol()
        self.conn.state = State.OPEN
        self.conn.extensions = extensions
        self.written: list[bytes] = []
        self.transport = SimpleNamespace(write=self.written.append)
        self.writable = SimpleNamespace(is_set=lambda: True)
        self.close_sent = False
        self.disconnected = False

    async def send(self, message: dict) -> None:  # the ASGI send the outbox is given
        raise AssertionError("the direct way was expected")


def test_the_outbox_writes_what_the_library_would():
    protocol = FakeUvicornProtocol(extensions=[])
    outbox = Outbox(protocol.send, max_frames=10, max_bytes=10_000, on_overflow=lambda: None)
    assert outbox.direct and _raw_framing(protocol) and protocol.conn.side is SERVER
    frames = [b'{"id":"1","type":"next","payload":{"data":null}}', b"y" * 200]
    for frame in frames:
        outbox.push(frame)
    assert protocol.written == [library_bytes(f) for f in frames]


def test_an_extension_keeps_the_library_way():
    deflate = PerMessageDeflate(False, False, 15, 15)
    protocol = FakeUvicornProtocol(extensions=[deflate])
    assert not _raw_framing(protocol)
    outbox = Outbox(protocol.send, max_frames=10, max_bytes=10_000, on_overflow=lambda: None)
    outbox.push(b"z" * 400)
    assert len(protocol.written) == 1 and protocol.written[0][0] & 0x40  # RSV1: compressed by the library
    assert len(protocol.written[0]) < 400


def test_a_closing_connection_gets_nothing_more():
    protocol = FakeUvicornProtocol(extensions=[])
    closed: list[bool] = []
    outbox = Outbox(protocol.send, max_frames=10, max_bytes=10_000, on_overflow=lambda: closed.append(True))
    protocol.conn.state = State.CLOSING  # the client's close frame arrived
    outbox.push(b"late")
    assert protocol.written == [] and outbox.closed and not closed
