"""Hostile photos for the intake tests and the photo benchmark: bombs, truncations."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def gen_jpeg(width=800, height=600, color=(10, 120, 200)) -> bytes:
    """An honest JPEG of one colour."""
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "JPEG")
    return buf.getvalue()


def gen_png_bomb(width: int, height: int, channels: int = 3) -> bytes:
    """A valid PNG of zero rows: a few hundred KB that decodes to width*height pixels."""
    row = b"\0" * (width * channels + 1)  # filter byte 0, then black pixels
    per_block = max(1, (1 << 20) // len(row))
    full, rest = divmod(height, per_block)
    # after a full flush deflate starts afresh, so one compressed block repeats as is:
    # a 900 MB image is built in milliseconds instead of compressing 900 MB
    block = _deflate(row * per_block, final=False)
    stream = b"\x78\xda" + block * full + _deflate(row * rest, final=True)
    adler = ((height * len(row)) % 65521) << 16 | 1  # Adler-32 of all-zero bytes
    colour_type = {1: 0, 3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", stream + struct.pack(">I", adler))
        + _chunk(b"IEND", b"")
    )


def gen_jpeg_bomb(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims width x height (its data is 16 x 16)."""
    data = bytearray(gen_jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _deflate(data: bytes, final: bool) -> bytes:
    """Raw deflate of data, ending byte-aligned (full flush) unless it is the last block."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
