"""One training-set upload of 100 JPEGs of 40 MP: wall time, CPU time and peak memory (RSS) of style_create.

Usage, from the repository root, against the database DATABASE_URL names (migrated by this script):

    createdb -h 127.0.0.1 -U postgres atelier_uploadbench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_uploadbench .venv/bin/python bench/uploads/run.py
    ... bench/uploads/run.py --images 20 --no-record

The images (7728 x 5152 = 39.8 MP, a gradient with noise, 5-9 MB each, the size of a camera's JPEG) are built once
in a child process and cached in --cache (default /tmp/atelier-bench-uploads), so building them does not count
towards this process's memory. The service is then called as the studio view calls it, with the files open from
disk as Django's TemporaryFileUploadHandler leaves them (each over FILE_UPLOAD_MAX_MEMORY_SIZE), and media written
to a temporary MEDIA_ROOT. Peak RSS is ru_maxrss of this process (which before the call holds Django and an open
database connection). The section "Training-set upload, 100 x 40 MP" of docs/performance.md is replaced with the
figures unless --no-record; `--label before` / `--label after` keeps both rows (run `before` on the old code).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from bench.django_env import setup_django as bench_django  # noqa: E402
from bench.report import read_section, write_section  # noqa: E402

HEADING = "## Training-set upload, 100 x 40 MP"
SIZE = (7728, 5152)
VARIANTS = 5  # distinct images, repeated under different names (the service reads each one anyway)
COMMAND = (
    "DATABASE_URL=postgres://postgres@127.0.0.1:5432/atelier_uploadbench .venv/bin/python bench/uploads/run.py"
    " --label after"
)


def build(cache: Path) -> list[Path]:
    """Runs in a child process: make VARIANTS camera-sized JPEGs."""
    from PIL import Image

    cache.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(VARIANTS):
        path = cache / f"photo-{n}.jpg"
        if not path.exists():
            gradient = Image.linear_gradient("L").resize(SIZE)
            noise = Image.effect_noise((SIZE[0] // 4, SIZE[1] // 4), 16 + 4 * n).resize(SIZE)
            image = Image.merge("RGB", (gradient, noise, gradient.rotate(90 * n, expand=False)))
            image.save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def setup_django(media_root: str) -> None:
    sys.path.insert(0, str(ROOT))
    if not os.environ.get("DATABASE_URL"):
        sys.exit("bench/uploads/run.py needs DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/atelier_uploadbench)")
    bench_django(MEDIA_ROOT=media_root)


def measure(paths: list[Path], images: int) -> dict:
    from django.core.files.uploadedfile import UploadedFile

    from marketplace.accounts.models import User
    from marketplace.core.exceptions import ServiceError
    from marketplace.styles.services import style_create, style_delete

    artist, _ = User.objects.get_or_create(
        username="uploadbench", defaults={"role": User.Role.ARTIST, "email": "uploadbench@bench.invalid"}
    )
    files = []
    for n in range(images):
        path = paths[n % len(paths)]
        handle = open(path, "rb")  # noqa: SIM115 (closed after the call, like a request's uploads)
        files.append(UploadedFile(handle, name=f"photo-{n:03d}.jpg", size=path.stat().st_size))
    sizes = [path.stat().st_size for path in paths]
    before = rss_mb()
    cpu = time.process_time()
    start = time.perf_counter()
    try:
        style = style_create(
            artist=artist, name="Upload bench", description="", tags=[], price_per_generation=5,
            commercial_use=True, credit_required=False, files=files,
        )
        outcome = f"accepted, stored {style.training_images.first().width} x {style.training_images.first().height}"
    except ServiceError as exc:
        style, outcome = None, f"refused: {exc.message[:160]}"
    wall = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if style is not None:
        style_delete(style=style, by=artist)
    for upload in files:
        upload.close()
    return {
        "images": images, "wall": wall, "cpu": cpu, "before": before, "peak": peak, "outcome": outcome,
        "mb": f"{min(sizes) / 2**20:.1f}-{max(sizes) / 2**20:.1f}",
    }


def row(label: str, r: dict) -> str:
    return (
        f"| {label} | {r['images']} | {r['wall']:.1f} | {r['cpu']:.1f} | {r['before']:.0f} | {r['peak']:.0f} | "
        f"{r['peak'] - r['before']:.0f} | {r['outcome']} |"
    )


def record(label: str, line: str, r: dict) -> None:
    rows = {
        cells.split("|")[1].strip(): cells for cells in read_section(HEADING).splitlines()
        if cells.startswith("| ") and not cells.startswith("| run") and not cells.startswith("| ---")
    }
    rows[label] = line
    text = f"""{HEADING}

Command: `{COMMAND}` (`--label before` on the code before issue 13's upload work).

Last run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} ({os.cpu_count()} cores, shared), Python
{platform.python_version()}, Pillow {__import__("PIL").__version__}. {r['images']} JPEGs of {SIZE[0]} x {SIZE[1]}
({SIZE[0] * SIZE[1] / 1e6:.1f} MP, {r['mb']} MB each) passed to `style_create` as the studio view passes them
(files on disk, as Django spools uploads over 2.5 MB); time and memory of that call only (validation, decoding,
re-encoding, thumbnails, storage, the transaction). RSS before is the process with Django loaded; peak is
ru_maxrss. Issue 13 measured 146.6 s and 114 -> 745 MB for the same upload in a gunicorn worker.

What changed (marketplace/core/images.py, styles/services.py): the whole set is judged from the headers
first (type, bytes, 40 MP per image, and 1,000 MP to decode per set, so a set over budget is refused before any
pixel is decoded); a JPEG is decoded in draft mode at the smallest 1/2, 1/4 or 1/8 scale that keeps each side
at least 1024 px (a 40 MP photo: 1932 x 1288, 2.5 MP instead of 40), and stored images fit in 2048 x 2048, which
is more than trainers use. Each file is read from its spooled upload rather than copied into memory. A PNG
cannot be decoded at a reduced scale: the budget allows 25 PNGs of 40 MP, about 0.8 s of CPU each here, so the
slowest accepted set stays near this figure.

| run | images | wall s | CPU s | RSS before MB | peak RSS MB | growth MB | outcome |
| --- | --- | --- | --- | --- | --- | --- | --- |
""" + "\n".join(rows[key] for key in sorted(rows, key=lambda k: (k != "before", k))) + "\n"
    write_section(HEADING, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "atelier-bench-uploads")
    parser.add_argument("--label", default="after", help="the row's name in docs/performance.md")
    parser.add_argument("--no-record", action="store_true", help="print only; leave docs/performance.md alone")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build(args.cache)
        return
    subprocess.run([sys.executable, __file__, "--build-only", "--cache", str(args.cache)], check=True)
    paths = sorted(args.cache.glob("photo-*.jpg"))[:VARIANTS]
    with tempfile.TemporaryDirectory() as media_root:
        setup_django(media_root)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        result = measure(paths, args.images)
    line = row(args.label, result)
    print(line)
    if not args.no_record:
        record(args.label, line, result)


if __name__ == "__main__":
    main()
