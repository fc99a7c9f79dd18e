"""Camera-like test photos: a service counter with a printed notice on the wall.

What a tablet's camera gives: a large frame (3200 x 2400 here), smooth light
and shapes, sensor noise, a slightly soft lens, and a posted notice whose
small print must stay readable after the tablet's downscale to 1600 px.
Everything comes from the seed.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

FONTS = Path(__file__).resolve().parent.parent / "survey_app" / "static" / "fonts"
SIZE = (3200, 2400)
NOTICE = (  # (text, font size in px at 3200 px wide, bold)
    ("STANDAR PELAYANAN", 72, True),
    ("Penerbitan Kartu Tanda Penduduk Elektronik (KTP-el)", 40, True),
    ("Persyaratan: fotokopi Kartu Keluarga, surat pengantar RT/RW", 30, False),
    ("Jangka waktu penyelesaian: 14 hari kerja sejak berkas lengkap", 30, False),
    ("Biaya / tarif: Rp 0 (tidak dipungut biaya)", 30, False),
    ("Jam pelayanan: Senin - Kamis 08.00 - 15.00, Jumat 08.00 - 11.30", 26, False),
    ("Pengaduan: SP4N-LAPOR! www.lapor.go.id, SMS 1708, kotak saran", 26, False),
    ("Maklumat: kami sanggup menyelenggarakan pelayanan sesuai standar", 22, False),
    ("Dasar hukum: UU 25/2009, PermenPANRB 15/2014; berlaku 2 Januari 2026", 22, False),
)
# Where the notice sits in a 3200 px frame: the smallest print is 22 px there, 11 px
# after the tablet's downscale to 1600, about what a notice 2 m away gives.
NOTICE_BOX = (900, 500, 2300, 1250)


def gen_scene(seed: int, width: int = SIZE[0], grain: float = 1.0) -> bytes:
    """A 4:3 JPEG (quality 92, as a phone camera saves) of a counter with a notice.

    `grain` scales the texture and sensor noise: below 1, a plainer photo that
    encodes to fewer bytes (a cleaner wall, a better-lit room).
    """
    rng = random.Random(seed)
    scale = width / SIZE[0]
    size = (width, width * 3 // 4)
    image = _background(rng).resize(size, Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    for _ in range(14):  # counters, chairs, people: soft-edged shapes
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        w, h = int(rng.randrange(150, 900) * scale), int(rng.randrange(150, 900) * scale)
        colour = tuple(rng.randrange(40, 230) for _ in range(3))
        shape = draw.rectangle if rng.random() < 0.5 else draw.ellipse
        shape((x, y, x + w, y + h), fill=colour)
    _notice(image, rng, scale)
    image = image.filter(ImageFilter.GaussianBlur(1.2 * scale))  # the lens and the hand
    image = _sensor_noise(image, rng, scale, grain)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def _background(rng: random.Random) -> Image.Image:
    """Wall and floor lit unevenly: a few colours blended over the frame."""
    small = Image.new("RGB", (8, 6))
    small.putdata([tuple(rng.randrange(90, 220) for _ in range(3)) for _ in range(48)])
    return small.resize((400, 300), Image.Resampling.BICUBIC)


def _notice(image: Image.Image, rng: random.Random, scale: float) -> None:
    """A printed A4-like sheet with the service standard, slightly turned."""
    left, top, right, bottom = (int(n * scale) for n in NOTICE_BOX)
    sheet = Image.new("RGB", (right - left, bottom - top), (246, 244, 236))
    draw = ImageDraw.Draw(sheet)
    y = int(30 * scale)
    for text, points, bold in NOTICE:
        size = max(6, int(points * scale))
        font = ImageFont.truetype(
            str(FONTS / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")), size
        )
        draw.text((int(40 * scale), y), text, fill=(20, 20, 28), font=font)
        y += int(size * 1.45)
    sheet = sheet.rotate(
        rng.uniform(-2.5, 2.5),
        resample=Image.Resampling.BICUBIC,
        expand=False,
        fillcolor=(246, 244, 236),
    )
    image.paste(sheet, (left, top))


def _sensor_noise(
    image: Image.Image, rng: random.Random, scale: float, grain: float = 1.0
) -> Image.Image:
    """Surfaces' texture and the sensor's grain: zero-mean noise at two scales.

    Fine grain alone (i.i.d. per pixel) vanishes under JPEG quantisation much
    faster than a real photo's detail does; the coarser texture keeps the bytes
    per quality step near a camera photo's. A smaller frame stands for a
    downscaled one, whose averaging lowers the grain.
    """
    w, h = image.size
    coarse = [
        Image.effect_noise((w // 3, h // 3), grain * (4 + rng.random() * 4)).resize(
            (w, h), Image.Resampling.BICUBIC
        )
        for _ in range(3)
    ]
    fine = [Image.effect_noise((w, h), grain * (2 * scale + rng.random() * 2)) for _ in range(3)]
    image = ImageChops.add(image, Image.merge("RGB", coarse), scale=1.0, offset=-128)
    return ImageChops.add(image, Image.merge("RGB", fine), scale=1.0, offset=-128)  # centred on 128
