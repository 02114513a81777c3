"""Benchmark the LV2 catalog: cold scan, warm start from the cache, one-plugin look-up."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from stompbox.lv2 import Catalog, World, lv2_path, plugin_info

WARM_RUNS = 7
LOOKUP_URI = "http://gareus.org/oss/lv2/fil4#mono"


def main() -> None:
    path = lv2_path()
    with tempfile.TemporaryDirectory(prefix="stompbox-bench-lv2-") as tmp:
        cache = Path(tmp)
        cold = Catalog.load(cache, lv2_path=path)
        print(f"LV2 path: {':'.join(map(str, path))}")
        print(f"plugins: {cold.stats.plugins}  categories: {len(cold.categories())}")
        print(f"presets: {sum(len(p.presets) for p in cold.plugins())}")
        print(f"cold scan: {cold.stats.seconds:.3f} s ({cold.stats.mode})")
        print(f"cache file: {Path(cold.stats.cache_file).stat().st_size / 1e6:.2f} MB")
        warm = []
        for _ in range(WARM_RUNS):
            c = Catalog.load(cache, lv2_path=path)
            warm.append(c.stats.seconds)
        print(
            f"warm start: median {statistics.median(warm) * 1000:.1f} ms, "
            f"min {min(warm) * 1000:.1f} ms over {WARM_RUNS} runs ({c.stats.mode})"
        )
        started = time.perf_counter()
        found = c.search("reverb")
        print(
            f"search 'reverb': {len(found)} hits in {(time.perf_counter() - started) * 1e3:.2f} ms"
        )
    started = time.perf_counter()
    with World(path) as world:
        info = plugin_info(world, LOOKUP_URI)
    took = time.perf_counter() - started
    print(
        f"single-plugin look-up via World ({LOOKUP_URI}): {took * 1000:.1f} ms, found={bool(info)}"
    )


if __name__ == "__main__":
    main()
