"""WeasyPrint behind a fetcher that loads only our own files (no Flask, no Jinja).

Apart from render.py because WeasyPrint costs about 0.5 s and 28 MB a process:
render.html_to_pdf imports this module when it lays out a PDF, so a server or a
CLI command that prints nothing never loads it. The URL fetcher serves files
under the roots it is given (static files, the photo store) and refuses
everything else, so a note that smuggled in `<img src="file:///etc/passwd">`
or a network address fetches nothing even if it were ever rendered unescaped.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

# Images are downsampled to this resolution in the PDF (photos arrive at up to 1600 px).
RENDER_OPTIONS = {"dpi": 150}
LOG = logging.getLogger(__name__)


class FetchRefused(ValueError):
    """A URL the findings may not load: anything but our static files and stored photos."""


class LocalFetcher(URLFetcher):
    """WeasyPrint's fetcher, narrowed to files under the given folders."""

    def __init__(self, *roots: str | Path, files: tuple[str | Path, ...] = ()):
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.roots = tuple(Path(r).resolve() for r in roots)
        # Exact files, not their folders: a configured emblem opens nothing beside it.
        self.files = frozenset(Path(f).resolve() for f in files)
        self.asked: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        """Serve a file under one of the roots; refuse (and record) anything else."""
        self.asked.append(url)
        path = self.local_path(url)
        if path is None:
            self.refused.append(url)
            LOG.warning("findings: refused to fetch %s", url[:200])
            raise FetchRefused(url)
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": _mime(path)})

    def local_path(self, url: str) -> Path | None:
        """The file a file:// URL names when it lies under a root, else None."""
        parts = urlsplit(url)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            return None
        path = Path(url2pathname(parts.path)).resolve()
        if path.is_file() and (
            path in self.files or any(path.is_relative_to(root) for root in self.roots)
        ):
            return path
        return None


def _mime(path: Path) -> str:
    guessed = mimetypes.guess_type(path.name)[0]
    if guessed:
        return guessed
    with path.open("rb") as fh:
        head = fh.read(12)
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG"):
        return "image/png"
    return "image/webp" if head[8:12] == b"WEBP" else "application/octet-stream"


def write(html: str, base_url: str, fetcher: LocalFetcher) -> tuple[bytes, int]:
    """Lay out `html` and write it as PDF: (bytes, number of pages)."""
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render(**RENDER_OPTIONS)
    return document.write_pdf(), len(document.pages)
