"""Style fidelity: does a generated image look like the training set its style learnt from?

For every training set (bench/fidelity/sets.py) the engine trains a style, then draws SEEDS images in it
(each with other prompt tags). Each image is described by colour and texture histograms
(bench/fidelity/features.py) and given to the style whose training set is nearest on average; the figure
is the share given to the right style, with the confusion matrix.

    .venv/bin/python bench/fidelity/run.py                      # the reference engine
    .venv/bin/python bench/fidelity/run.py --engine signature   # the signature renderer (v1 artefacts)
    ... --write docs/performance.md                             # replace the figures there
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.fidelity import features, sets  # noqa: E402
from worker.engines import TrainingParams, load_engine  # noqa: E402
from worker.protocol import ASPECT_RATIOS  # noqa: E402

SEEDS = 5
PROMPTS = [["harbour", "fog"], ["castle", "moon"], ["portrait"], ["forest", "river", "dawn"], ["city", "rain"]]
RATIOS = ["1:1", "1:1", "1:2", "1:1", "1:2"]


class SignatureEngine:
    """The v1 renderer (worker/signature.py + worker/render.py) behind the engine interface, for the before
    figure: how the reference engine drew until this benchmark."""

    def train(self, images, params, progress):
        from worker.signature import dump_signature, learn_signature

        return type("Artefact", (), {"data": dump_signature(learn_signature(images))})()

    def generate(self, artefact, prompt_tags, width, height, seed):
        from worker.render import render
        from worker.signature import load_signature

        return render(load_signature(artefact), prompt_tags, (width, height), seed)


def measure(engine, seeds: int) -> dict:
    names, centroids, styles, draw_seconds = [], [], [], []
    for name, images in sets.training_sets():
        names.append(name)
        centroids.append(features.mean([features.describe(image) for image in images]))
        styles.append(engine.train(images, TrainingParams(), progress=lambda percent: None).data)
    confusion = [[0] * len(names) for _ in names]
    for truth, artefact in enumerate(styles):
        for n in range(seeds):
            width, height = ASPECT_RATIOS[RATIOS[n % len(RATIOS)]]
            started = time.perf_counter()
            png = engine.generate(artefact, PROMPTS[n % len(PROMPTS)], width, height, 1000 + n)
            if (width, height) == (512, 512):
                draw_seconds.append(time.perf_counter() - started)
            seen = features.describe(png)
            guess = min(range(len(names)), key=lambda i: features.distance(seen, centroids[i]))
            confusion[truth][guess] += 1
    right = sum(confusion[i][i] for i in range(len(names)))
    total = len(names) * seeds
    return {"names": names, "confusion": confusion, "right": right, "total": total,
            "seconds_512": sorted(draw_seconds)[len(draw_seconds) // 2]}


def report(result: dict, label: str, command: str) -> str:
    names, confusion = result["names"], result["confusion"]
    lines = [
        f"#### {label}: {result['right']} of {result['total']} right ({100 * result['right'] / result['total']:.1f} %)",
        "",
        f"`{command}`; median time to draw a 512×512 image: {result['seconds_512']:.2f} s (one core).",
        "Rows: the style an image was made in; columns: the style its colour and texture are nearest to.",
        "",
        "| made in \\ nearest | " + " | ".join(str(i + 1) for i in range(len(names))) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for i, name in enumerate(names):
        cells = [f"**{n}**" if j == i and n else (str(n) if n else "·") for j, n in enumerate(confusion[i])]
        lines.append(f"| {i + 1}. {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(path: Path, label: str, text: str) -> None:
    """Replace this label's block under "Style fidelity" in `path` (or append the section)."""
    doc = path.read_text()
    heading = "## Style fidelity of the reference engine"
    if heading not in doc:
        doc = doc.rstrip() + f"\n\n{heading}\n\nWritten by `bench/fidelity/run.py --write {path}`.\n"
    block = re.compile(rf"#### {re.escape(label)}:.*?(?=\n#### |\n## |\Z)", re.S)
    doc = block.sub(text.rstrip(), doc) if block.search(doc) else doc.rstrip() + "\n\n" + text
    path.write_text(doc.rstrip() + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["reference", "signature"], default="reference")
    parser.add_argument("--seeds", type=int, default=SEEDS)
    parser.add_argument("--write", type=Path, help="a Markdown file to put the figures in")
    args = parser.parse_args()
    engine = SignatureEngine() if args.engine == "signature" else load_engine("reference")
    result = measure(engine, args.seeds)
    label = {"reference": "Reference engine (patches)", "signature": "Before: the signature renderer"}[args.engine]
    text = report(result, label, f".venv/bin/python bench/fidelity/run.py --engine {args.engine}")
    print(text)
    if args.write:
        write(args.write, label, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
