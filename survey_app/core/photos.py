"""Checking uploaded photos: type by content, size bound, long side at most 1600 px."""

from __future__ import annotations

import io
import re
from functools import cache
from typing import TYPE_CHECKING

from survey_app.core.i18n import lazy

if TYPE_CHECKING:
    from PIL import Image

MAX_SIDE = 1600
# A bound on the pixels a photo may declare, checked from its header before any decode:
# twice a 24 MP phone photo; decoded it is at most 160 MB (4 bytes a pixel). A 657 KB PNG
# declaring 13000 x 13000 had cost 540 MB and 2.5 s before it was refused.
MAX_PIXELS = 40_000_000
# magic bytes -> (mime, Pillow format)
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"),
)


@cache
def _pil():
    """Pillow, imported when the first photo arrives (it costs a process ~20 ms and 3 MB).

    Its own guard is set then, for every image this process opens: it warns above
    the bound and refuses at open above twice it (its default, 89 MP, let the
    13000 x 13000 through).
    """
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    return Image


def _not_image() -> tuple[type[BaseException], ...]:
    from PIL import UnidentifiedImageError

    return (UnidentifiedImageError, OSError, SyntaxError, ValueError)


def _bomb() -> tuple[type[BaseException], ...]:
    return (_pil().DecompressionBombError, _pil().DecompressionBombWarning)


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
    their bytes) a photo over MAX_SIDE is refused instead of changed. The size
    is read from the header and refused before anything is decoded.

    :raises PhotoRejected: wrong type, too large, or not a decodable image.
    """
    mime, fmt = _kind(data, max_bytes)
    if _MARKUP.search(data):  # first: markup hidden inside a JPEG breaks its decode too
        raise PhotoRejected(_smuggled())
    bomb, not_image = _bomb(), _not_image()
    try:
        with _pil().open(io.BytesIO(data)) as image:
            width, height = _declared_size(image, fmt, downscale)
            _decode(image, data)
        if _runs_on(data, fmt):
            raise PhotoRejected(_smuggled())
        if max(width, height) <= MAX_SIDE:
            return data, mime, width, height
        return _downscale(data)
    except bomb as exc:
        raise PhotoRejected(_too_many_pixels()) from exc
    except not_image as exc:
        if isinstance(exc, PhotoRejected):
            raise
        raise PhotoRejected(lazy("The photo is damaged or incomplete.")) from exc


_RANGE = re.compile(r"bytes (\d{1,12})-(\d{1,12})/(\d{1,12})")


def content_range(header: str, length: int, max_bytes: int) -> tuple[int, int]:
    """(start, total) of one part of a photo, from its Content-Range header.

    :raises PhotoRejected: not a byte range, a part that is not the range's
        length, or a whole photo larger than max_bytes.
    """
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise PhotoRejected(lazy("Not a byte range: %(detail)s", detail=header[:80]))
    start, end, total = (int(n) for n in match.groups())
    if total > max_bytes:
        raise PhotoRejected(_too_large(max_bytes))
    if not start <= end < total or end - start + 1 != length:
        raise PhotoRejected(lazy("This part of the photo does not match its byte range."))
    return start, total


def _too_large(max_bytes: int):
    """The refusal of a photo over the size bound."""
    return lazy("The photo is too large (at most %(mb)s MB).", mb=max_bytes // (1024 * 1024))


def _kind(data: bytes, max_bytes: int) -> tuple[str, str]:
    """(mime, format) of an upload that is not empty, not too large and of our types."""
    if not data:
        raise PhotoRejected(lazy("The photo is empty."))
    if len(data) > max_bytes:
        raise PhotoRejected(_too_large(max_bytes))
    kind = sniff(data)
    if kind is None:
        raise PhotoRejected(lazy("Only JPEG, PNG or WebP photos are accepted."))
    return kind


def _declared_size(image: Image.Image, fmt: str, downscale: bool) -> tuple[int, int]:
    """The size the header declares, refused before decoding if it is too large."""
    if image.format != fmt:
        raise PhotoRejected(lazy("Only JPEG, PNG or WebP photos are accepted."))
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise PhotoRejected(_too_many_pixels())
    if not downscale and max(width, height) > MAX_SIDE:
        raise PhotoRejected(lazy("The photo is larger than %(px)s px.", px=MAX_SIDE))
    return width, height


def _smuggled():
    """The refusal of a polyglot: markup inside the photo or bytes after its end."""
    return lazy("The photo carries other content besides the image.")


def _too_many_pixels():
    """The refusal of a photo that declares more than MAX_PIXELS."""
    return lazy(
        "The photo has too many pixels (at most %(mp)s megapixels).", mp=MAX_PIXELS // 10**6
    )


def _decode(image: Image.Image, data: bytes) -> None:
    """Decode enough to find damage: a JPEG at 1/8 scale, other formats in full."""
    if image.format == "JPEG":
        _decode_jpeg_reduced(image, data)
        return
    with _pil().open(io.BytesIO(data)) as probe:
        probe.verify()  # PNG: every chunk's CRC, which load() does not check
    image.load()


def _decode_jpeg_reduced(image: Image.Image, data: bytes) -> None:
    """Decode a JPEG at 1/8 scale; data that runs out or breaks the decoder is damage."""
    width, height = image.size
    # libjpeg still reads every coefficient at 1/8 scale, so truncation and broken data
    # show; it skips most of the inverse DCT and the colour work (measured in
    # benchmarks/bench_photos.py; the full decode was 34% of the server's sync time)
    image.draft(image.mode, (max(1, width // 8), max(1, height // 8)))
    image.load_prepare()
    [(name, extents, offset, args)] = image.tile
    decoder = _pil()._getdecoder(image.mode, name, args, image.decoderconfig)
    try:
        decoder.setimage(image.im, extents)
        # All the bytes at once: wanting more (>= 0) is truncation, < 0 a broken stream.
        # Not image.load(): WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES on import,
        # and then load() pads a truncated JPEG with grey and says nothing.
        consumed, error = decoder.decode(data[offset:])
    finally:
        decoder.cleanup()
    if consumed >= 0 or error < 0:
        raise PhotoRejected(lazy("The photo is damaged or incomplete."))


_MARKUP = re.compile(rb"<\s*(script|html|svg|iframe|body|\?php)", re.IGNORECASE)


def _runs_on(data: bytes, fmt: str) -> bool:
    """A polyglot (or a cut photo): the bytes do not end where the image ends."""
    if fmt == "JPEG":
        return not data.rstrip(b"\x00").endswith(b"\xff\xd9")
    if fmt == "PNG":
        return not data.endswith(b"IEND\xaeB`\x82")
    return int.from_bytes(data[4:8], "little") + 8 != len(data)  # WebP: RIFF size


def _downscale(data: bytes) -> tuple[bytes, str, int, int]:
    """Shrink to MAX_SIDE on the long side (for uploads that skipped the browser's)."""
    with _pil().open(io.BytesIO(data)) as image:
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # a JPEG decodes at the smallest scale >= it
        image = image.convert("RGB")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=85)
    return buf.getvalue(), "image/jpeg", image.width, image.height
