"""Photos sent in parts: what each user has sent of a photo so far, kept on disk, bounded.

A part is written at the offset the tablet names, which may not lie past what
is held (a resend of the last part overwrites it). Partials live per user in
<photo_dir>/partial/<user id>/<sha256>, so one evaluator never learns of,
nor adds to, another's upload; only the whole photo, checked against its
hash by the caller, becomes a photo.
"""

from __future__ import annotations

import time
from pathlib import Path

from survey_app.store.records import photo_path

# Per user: a tablet sends two photos at once, so more than this are stale
# leftovers of cuts; the oldest goes first. Each is at most MAX_PHOTO_BYTES.
MAX_PARTIALS = 20
# A tablet cut off during an upload may be offline over a weekend; later it sends
# the photo again from the start.
MAX_AGE_SECONDS = 3 * 24 * 3600


class Gap(ValueError):
    """A part that starts past what the server holds of the photo."""

    def __init__(self, held: int):
        super().__init__(f"held {held}")
        self.held = held


def _path(photo_dir: str | Path, user_id: int, digest: str) -> Path:
    """Where this user's partial of the photo lives (the digest is checked as a name)."""
    name = photo_path(photo_dir, digest).name
    return Path(photo_dir) / "partial" / str(int(user_id)) / name


def held(photo_dir: str | Path, user_id: int, digest: str) -> int:
    """How many bytes of the photo this user has sent so far (0 when none)."""
    try:
        return _path(photo_dir, user_id, digest).stat().st_size
    except FileNotFoundError:
        return 0


def append(photo_dir: str | Path, user_id: int, digest: str, start: int, data: bytes) -> int:
    """Write a part at start (at most what is held); return the bytes held now.

    :raises Gap: start lies past the bytes held.
    """
    path = _path(photo_dir, user_id, digest)
    have = held(photo_dir, user_id, digest)
    if start > have:
        raise Gap(have)
    if not path.exists():
        sweep(photo_dir)
        _make_room(path.parent)
    with open(path, "r+b" if path.exists() else "wb") as fh:
        fh.seek(start)
        fh.truncate()
        fh.write(data)
        return fh.tell()


def take(photo_dir: str | Path, user_id: int, digest: str) -> bytes:
    """The whole of what this user sent of the photo; the partial is gone afterwards."""
    path = _path(photo_dir, user_id, digest)
    data = path.read_bytes()
    path.unlink(missing_ok=True)
    return data


def drop(photo_dir: str | Path, user_id: int, digest: str) -> None:
    """Forget this user's partial of the photo, if any."""
    _path(photo_dir, user_id, digest).unlink(missing_ok=True)


def sweep(photo_dir: str | Path, now: float | None = None) -> int:
    """Remove every user's partials untouched for MAX_AGE_SECONDS; return how many."""
    cutoff = (time.time() if now is None else now) - MAX_AGE_SECONDS
    removed = 0
    for path in (Path(photo_dir) / "partial").glob("*/*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # taken or swept by another request meanwhile
            continue
    return removed


def _make_room(folder: Path) -> None:
    """Keep fewer than MAX_PARTIALS in the user's folder, dropping the oldest."""
    folder.mkdir(parents=True, exist_ok=True)
    partials = sorted(folder.iterdir(), key=_mtime)
    for path in partials[: max(0, len(partials) - MAX_PARTIALS + 1)]:
        path.unlink(missing_ok=True)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
