"""`make bench`: run every benchmark in turn and print its figures (nothing is asserted)."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import time

BENCHES = (
    "engine",
    "catalog",
    "rpc_codec",
    "zmq_rpc",
    "bridge",
    "session",
    "web",
    "live",
    "boards",
    "flood",
)


def main(argv: list[str]) -> int:
    names = argv or list(BENCHES)
    failed = []
    for name in names:
        print(f"\n=== bench.{name} ===", flush=True)
        started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
            result = module.main()
            if inspect.isawaitable(result):
                asyncio.run(result)  # type: ignore[arg-type]
        except Exception as exc:  # a broken benchmark must not hide the others' figures
            failed.append(name)
            print(f"bench.{name} FAILED: {type(exc).__name__}: {exc}", flush=True)
        print(f"(bench.{name} took {time.perf_counter() - started:.1f} s)", flush=True)
    if failed:
        print(f"\nfailed benchmarks: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
