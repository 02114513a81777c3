"""Board create and list with 1,000 saved boards: the index (stat each file, decode only what
changed) against decoding every board file (what each create and list did before)."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from stompbox.session.board_index import summarize
from stompbox.session.fake_bridge import FakeBridge, demo_catalog
from stompbox.session.pedalboard_service import empty_board
from stompbox.session.plugin_manager import instance_from_info
from stompbox.session.session_manager import SessionManager
from stompbox.session.storage import Storage

BOARDS = 995
PLUGINS_PER_BOARD = 10


class _Sink:
    def publish(self, event: str, data: object = None) -> None:
        pass


def _fill(data_dir: Path) -> None:
    storage = Storage(data_dir)
    infos = list(demo_catalog().values())
    for i in range(BOARDS):
        board = empty_board(f"b-{i:04d}", f"Board {i}")
        board.plugins = [
            instance_from_info(infos[k % len(infos)], f"p{k}", 100.0 * k, 0.0)
            for k in range(PLUGINS_PER_BOARD)
        ]
        storage.save(board)


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1e3:.2f} ms, max {max(samples) * 1e3:.2f} ms"


async def run(data_dir: Path) -> None:
    _fill(data_dir)
    m = SessionManager(FakeBridge(), _Sink(), Storage(data_dir))
    m.restore()
    await m.connect_engine()
    t0 = time.perf_counter()
    m.list_pedalboards()
    took = (time.perf_counter() - t0) * 1e3
    print(f"first listing of {BOARDS} boards of {PLUGINS_PER_BOARD} plugins: {took:.1f} ms")
    creates, lists, full, old_check = [], [], [], []
    for k in range(5):
        t0 = time.perf_counter()
        await m.create_pedalboard(f"New {k}")
        creates.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        m.list_pedalboards()
        lists.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        [summarize(b) for b in m.storage.list()]  # the old way: decode every board
        full.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        any(b.name == "x" for b in m.storage.list())  # the old name check of every create
        old_check.append(time.perf_counter() - t0)
    print(f"create with {BOARDS}+ boards (index): {_ms(creates)}")
    print(f"list with {BOARDS}+ boards (index): {_ms(lists)}")
    print(f"list decoding every board (before): {_ms(full)}")
    print(f"name check of each create decoding every board (before): {_ms(old_check)}")
    print(f"ratio list before/now: {statistics.median(full) / statistics.median(lists):.1f}x")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(Path(tmp)))


if __name__ == "__main__":
    main()
