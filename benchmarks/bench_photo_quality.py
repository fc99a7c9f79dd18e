"""JPEG quality against bytes for a photo of a posted notice, as the tablet encodes it.

    python benchmarks/bench_photo_quality.py [--seeds 3] [--out test-artifacts]

A 3200 x 2400 camera-like frame (benchmarks/scenes.py) with a printed service
standard on the wall is downscaled to 1600 px by the offline app's own
`FormCore.downscale` in Debian's chromium, at each quality. Prints the bytes
and, for the notice's smallest print (11 px high after the downscale), the
error against the same downscale at quality 1.0 (PSNR, dB: above ~35 dB
JPEG's loss is hard to see). Writes that print enlarged 3x at each quality
to --out, to be read by eye: legibility is the criterion, the PSNR a guide.
"""

from __future__ import annotations

import argparse
import base64
import io
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageChops, ImageStat  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from scenes import NOTICE_BOX, gen_scene  # noqa: E402

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

FORM_CORE = Path(__file__).resolve().parent.parent / "survey_app/static/js/form-core.js"
QUALITIES = (1.0, 0.92, 0.85, 0.8, 0.75, 0.7, 0.65, 0.6, 0.5)
ENCODE_JS = """async ([b64, q]) => {
  const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
  const blob = await FormCore.downscale(new Blob([bytes], {type: 'image/jpeg'}), q);
  const buf = new Uint8Array(await blob.arrayBuffer());
  let s = '';
  for (let i = 0; i < buf.length; i += 8192) s += String.fromCharCode(...buf.subarray(i, i + 8192));
  return btoa(s);
}"""


def small_print(image: Image.Image) -> Image.Image:
    """The notice's two smallest lines in the 1600 px photo."""
    left, top, right, _ = (n // 2 for n in NOTICE_BOX)
    return image.convert("L").crop((left, top + 180, right, top + 245))


def psnr(a: Image.Image, b: Image.Image) -> float:
    """Peak signal-to-noise ratio of b against a, in dB."""
    mse = ImageStat.Stat(ImageChops.difference(a, b).point(lambda v: v * v)).mean[0]
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


def encode_all(page, original: bytes) -> dict[float, bytes]:
    """The photo as the tablet would send it, at every quality."""
    b64 = base64.b64encode(original).decode()
    return {q: base64.b64decode(page.evaluate(ENCODE_JS, [b64, q])) for q in QUALITIES}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default="test-artifacts")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(exist_ok=True)
    sizes: dict[float, list[int]] = {q: [] for q in QUALITIES}
    errors: dict[float, list[float]] = {q: [] for q in QUALITIES}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.add_script_tag(path=str(FORM_CORE))
        for seed in range(args.seeds):
            encoded = encode_all(page, gen_scene(seed))
            best = small_print(Image.open(io.BytesIO(encoded[1.0])))
            for q, data in encoded.items():
                crop = small_print(Image.open(io.BytesIO(data)))
                sizes[q].append(len(data))
                errors[q].append(psnr(best, crop))
                if seed == 0:
                    crop.resize((crop.width * 3, crop.height * 3), Image.Resampling.NEAREST).save(
                        out / f"quality-{int(q * 100)}.png"
                    )
        browser.close()
    base = sum(sizes[0.85]) / len(sizes[0.85])
    print("quality  bytes (mean)  vs 0.85  small print PSNR (dB, mean)")
    for q in QUALITIES:
        mean = sum(sizes[q]) / len(sizes[q])
        db = sum(errors[q]) / len(errors[q])
        print(f"{q:7.2f}  {mean / 1024:8.0f} KB  {mean / base:6.0%}  {db:6.1f}")


if __name__ == "__main__":
    main()
