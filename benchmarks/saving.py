"""Where the benchmarks keep their measurements: benchmarks/results/<kind>-<time>.json."""
import datetime
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save_results(kind, data):
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d_%H-%M-%S")
    path = RESULTS / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(data, indent=1))
    return path
