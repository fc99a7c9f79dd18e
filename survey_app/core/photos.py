"""Checking uploaded photos: type by content, size bound, long side at most 1600 px."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from survey_app.core.i18n import lazy

if TYPE_CHECKING:
    from PIL import Image

MAX_SIDE = 1600
# magic bytes -> (mime, Pillow format)
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)


class PhotoRejected(ValueError):
    """An upload that is not an acceptable photo; str() is the user's message."""


def sniff(data: bytes) -> tuple[str, str] | None:
    """(mime, format) from the first bytes, or None for anything but JPEG/PNG/WebP."""
    for magic, mime, fmt in _SIGNATURES:
        if data.startswith(magic):
            return mime, fmt
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "WEBP"
    return None


def check(data: bytes, max_bytes: int, downscale: bool = True) -> tuple[bytes, str, int, int]:
    """Validate an upload; return (bytes, mime, width, height), downscaled if needed.

    With downscale=False (the sync API, whose photos are keyed by the hash of
    their bytes) a photo over MAX_SIDE is refused instead of changed.

    :raises PhotoRejected: wrong type, too large, or not a decodable image.
    """
    if not data:
        raise PhotoRejected(lazy("The photo is empty."))
    if len(data) > max_bytes:
        raise PhotoRejected(
            lazy("The photo is too large (at most %(mb)s MB).", mb=max_bytes // (1024 * 1024))
        )
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected(lazy("Only JPEG, PNG or WebP photos are accepted."))
    mime, fmt = kind
    # Imported here, not above: Pillow costs every server process ~20 ms and 3 MB until a
    # photo arrives.
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            if image.format != fmt:
                raise PhotoRejected(lazy("Only JPEG, PNG or WebP photos are accepted."))
            image.load()
            if _smuggled(data, fmt):
                raise PhotoRejected(lazy("The photo carries other content besides the image."))
            if max(image.size) <= MAX_SIDE:
                return data, mime, image.width, image.height
            if not downscale:
                raise PhotoRejected(lazy("The photo is larger than %(px)s px.", px=MAX_SIDE))
            return _downscale(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, PhotoRejected):
            raise
        raise PhotoRejected(lazy("The photo is damaged or incomplete.")) from exc


_MARKUP = re.compile(rb"<\s*(script|html|svg|iframe|body|\?php)", re.IGNORECASE)


def _smuggled(data: bytes, fmt: str) -> bool:
    """A polyglot: bytes after the image's own end, or markup hidden inside it."""
    if _MARKUP.search(data):
        return True
    if fmt == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "PNG":
        return not data.endswith(b"IEND\xaeB`\x82")
    return int.from_bytes(data[4:8], "little") + 8 != len(data)  # WebP: RIFF size


def _downscale(image: Image.Image) -> tuple[bytes, str, int, int]:
    """Shrink to MAX_SIDE on the long side (for uploads that skipped the browser's)."""
    image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue(), "image/jpeg", image.width, image.height
