"""Faults survived: `stompbox up` as a subprocess, kill -9 of each process while a client turns
knobs, jackd stopped and restarted, a full or read-only data dir.

After every fault the engine's graph must equal the session's model again: the instances (each
answers `plugin.get_parameter`; no JACK port of a removed instance is left), the parameter values
(read back from the engine through the bridge's `plugin.get_parameter`) and the connections: those
to the outside read from JACK (the engine's port `stompbox:effect_N.sym` carries the alias
`effect_N:sym`), those inside the engine's one client from what it acknowledged to the bridge
(`list_connections`). Time to recovery is printed (`-s` shows it), asserted only against a generous
bound.

The data dir is a tiny tmpfs mounted for the run (we run as root, and chmod does not stop root):
filling it gives ENOSPC, remounting it read-only gives EROFS. Without mount rights those two
tests are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jack
import pytest
import websockets

from stompbox.zmqservice import RpcClient
from tests.support.proc import spawn
from tests.support.stack import free_port, free_port_pair

pytestmark = pytest.mark.integration

AMP = "http://plugin.org.uk/swh-plugins/amp"  # gain (dB, -70..70), input, output
RECOVERY_BOUND = 60.0  # generous: a loaded 2-core machine
UP_TIMEOUT = 120.0
TMPFS_SIZE = "256k"


# -- processes ------------------------------------------------------------------------------


def _ppid_map() -> dict[int, int]:
    out: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return out


def descendants(pid: int) -> list[int]:
    parents = _ppid_map()
    found: list[int] = []
    frontier = [pid]
    while frontier:
        p = frontier.pop()
        kids = [c for c, pp in parents.items() if pp == p]
        found += kids
        frontier += kids
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


class Up:
    """`stompbox up` in its own dirs, ports and JACK server; find and kill its processes."""

    def __init__(self, base: Path, cache_dir: Path, *, data_dir: Path | None = None) -> None:
        self.base = base
        self.jack_name = f"stompbox-faults-{os.getpid()}-{time.monotonic_ns() % 100000}"
        self.runtime_dir = base / "run"
        self.data_dir = data_dir or base / "data"
        for d in (self.runtime_dir, self.data_dir, cache_dir):
            d.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.chmod(0o700)
        self.engine_port = free_port_pair()
        self.web_port = free_port()
        self.log = base / "up.log"
        self.env = {
            **os.environ,
            "JACK_DEFAULT_SERVER": self.jack_name,
            "JACK_NO_START_SERVER": "1",
            "STOMPBOX_JACK_SERVER": self.jack_name,
            "STOMPBOX_RUNTIME_DIR": str(self.runtime_dir),
            "STOMPBOX_DATA_DIR": str(self.data_dir),
            "STOMPBOX_CACHE_DIR": str(cache_dir),
            "STOMPBOX_ENGINE_PORT": str(self.engine_port),
            "STOMPBOX_ENGINE_FEEDBACK_PORT": str(self.engine_port + 1),
            "STOMPBOX_WEB_HOST": "127.0.0.1",
            "STOMPBOX_WEB_PORT": str(self.web_port),
            "PYTHONUNBUFFERED": "1",
        }
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def session_rpc(self) -> str:
        return f"ipc://{self.runtime_dir}/session.rpc"

    @property
    def bridge_rpc(self) -> str:
        return f"ipc://{self.runtime_dir}/bridge.rpc"

    def start(self) -> None:
        with open(self.log, "ab") as out:
            self.proc = spawn(
                [sys.executable, "-m", "stompbox.cli", "up"], env=self.env, stdout=out
            )
        deadline = time.monotonic() + UP_TIMEOUT
        while "stompbox is up" not in self.log_text():
            assert self.proc.poll() is None, f"stompbox up exited:\n{self.log_text()[-4000:]}"
            assert time.monotonic() < deadline, f"not up:\n{self.log_text()[-4000:]}"
            time.sleep(0.2)

    def log_text(self) -> str:
        return self.log.read_bytes().decode(errors="replace") if self.log.exists() else ""

    def pids(self) -> list[int]:
        assert self.proc is not None
        return descendants(self.proc.pid)

    def pid_of(self, name: str) -> int | None:
        """The pid of one child (engine, bridge, session, web, jackd) or None."""
        for pid in self.pids():
            line = cmdline(pid)
            if name == "jackd" and "jackd" in line and self.jack_name in line:
                return pid
            if line.endswith(f"stompbox.cli {name} "):
                return pid
        return None

    def jalv_pids(self) -> list[int]:
        """Only this stack's jalv (other stacks run on this machine too): children of our engine."""
        engine = self.pid_of("engine")
        if engine is None:
            return []
        return [p for p in descendants(engine) if "jalv" in cmdline(p) and "effect_" in cmdline(p)]

    def stop(self) -> None:
        if self.proc is None:
            return
        family = self.pids()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        for pid in family:  # whatever the supervisor did not reap
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc = None


# -- reading the engine's graph and the model ------------------------------------------------


async def model(up: Up) -> dict[str, Any]:
    async with RpcClient(up.session_rpc, timeout=10.0, retries=1) as s:
        return dict(await s.call("state"))


def _plugin_name(port: Any) -> str:
    """A port's name, or its `effect_N:sym` alias (the engine's ports to the outside)."""
    return next((a for a in port.aliases if a.startswith("effect_")), port.name)


def jack_graph(jack_name: str) -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """JACK's view: ports by client (effect_N, system) and every connection output → input."""
    client = jack.Client(f"faults-probe-{os.getpid()}", servername=jack_name, no_start_server=True)
    try:
        ports: dict[str, set[str]] = {}
        edges: set[tuple[str, str]] = set()
        for port in client.get_ports():
            owner, short = _plugin_name(port).split(":", 1)
            ports.setdefault(owner, set()).add(short)
            if port.is_output:
                edges |= {
                    (_plugin_name(port), _plugin_name(q)) for q in client.get_all_connections(port)
                }
        return ports, edges
    finally:
        client.close()


async def differences(up: Up) -> list[str]:
    """Where the engine's graph differs from the session's model ([] = equal)."""
    state = await model(up)
    board = state["pedalboard"]
    problems: list[str] = []
    if not state.get("engine_connected"):
        problems.append("session says engine not connected")
    async with RpcClient(up.bridge_rpc, timeout=10.0, retries=1) as bridge:
        bstate = await bridge.call("state")
        instances = bstate["instances"]
        plugins = {p["instance_id"]: p for p in board["plugins"]}
        if set(instances) != set(plugins):
            problems.append(f"bridge instances {sorted(instances)} != model {sorted(plugins)}")
        ports, edges = await asyncio.to_thread(jack_graph, up.jack_name)
        number_to_id = {f"effect_{v['number']}": k for k, v in instances.items()}
        effects = {c for c in ports if c.startswith("effect_")}
        if not effects <= set(number_to_id):
            problems.append(
                f"JACK ports of {sorted(effects)} outside bridge {sorted(number_to_id)}"
            )
        internal = {
            (c["source"], c["target"])
            for c in await bridge.call("list_connections")
            if not c["source"].startswith("system:") and not c["target"].startswith("system:")
        }
        for iid, plugin in plugins.items():
            if iid not in instances:
                continue
            jack_client = f"effect_{instances[iid]['number']}"
            if instances[iid]["uri"] != plugin["uri"]:
                problems.append(f"{iid}: engine runs {instances[iid]['uri']}")
            if jack_client in ports and not ports[jack_client] <= set(plugin["ports"]):
                problems.append(
                    f"{jack_client} ports {ports.get(jack_client)} != {plugin['ports']}"
                )
            for symbol, value in plugin["parameters"].items():
                got = await bridge.call(
                    "plugin",
                    {"method": "get_parameter", "params": {"instance_id": iid, "symbol": symbol}},
                )
                if abs(got["value"] - value) > 1e-3:
                    problems.append(f"{iid}:{symbol} engine {got['value']} != model {value}")

    def address(jack_port: str) -> str:
        owner, short = jack_port.split(":", 1)
        return f"{number_to_id.get(owner, owner)}:{short}"

    wired = {(address(a), address(b)) for a, b in edges} | internal
    wanted = {(c["source"], c["target"]) for c in board["connections"]}
    if wired != wanted:
        problems.append(f"JACK connections {sorted(wired)} != model {sorted(wanted)}")
    return problems


async def converge(up: Up, timeout: float = RECOVERY_BOUND) -> float:
    """Poll until the engine equals the model; the seconds it took."""
    start = time.monotonic()
    last: list[str] | str = "never checked"
    while time.monotonic() - start < timeout:
        try:
            last = await differences(up)
            if not last:
                return time.monotonic() - start
        except Exception as exc:  # the stack is recovering: any failure means "not yet"
            last = repr(exc)
        await asyncio.sleep(0.25)
    raise AssertionError(f"engine != model after {timeout} s: {last}\n{up.log_text()[-3000:]}")


async def ws_state(up: Up, timeout: float = RECOVERY_BOUND) -> dict[str, Any]:
    """What a browser opening the page now is told (retried while the web process restarts)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            async with asyncio.timeout(20):
                async with websockets.connect(f"ws://127.0.0.1:{up.web_port}/ws") as ws:
                    first = json.loads(await ws.recv())
            assert first["type"] == "state"
            return dict(first["state"])
        except (OSError, websockets.WebSocketException, TimeoutError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.25)


# -- the board and the knob turner -----------------------------------------------------------


async def build_board(up: Up) -> str:
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        deadline = time.monotonic() + UP_TIMEOUT  # a cold LV2 catalog takes a while to scan
        while (await http.get("/api/plugins/info", params={"uri": AMP})).status_code != 200:
            assert time.monotonic() < deadline, "plugin catalog not ready"
            await asyncio.sleep(0.5)
        r = await http.post("/api/pedalboards", json={"name": f"faults {time.time_ns()}"})
        assert r.status_code == 200, r.text
        r = await http.post("/api/pedalboard/plugins", json={"uri": AMP, "x": 10, "y": 20})
        assert r.status_code == 200, r.text
        iid = str(r.json()["instance_id"])
        for source, target in (
            ("system:capture_1", f"{iid}:input"),
            (f"{iid}:output", "system:playback_1"),
            (f"{iid}:output", "system:playback_2"),
        ):
            r = await http.post(
                "/api/pedalboard/connections", json={"source": source, "target": target}
            )
            assert r.status_code == 200, r.text
        r = await http.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": -6.5})
        assert r.status_code == 200, r.text
        r = await http.post("/api/pedalboard/save")
        assert r.status_code == 200, r.text
    return iid


async def turn_knobs(up: Up, iid: str, stop: asyncio.Event, counts: dict[str, int]) -> None:
    """A client changing the gain as fast as the stack answers; failures during faults expected."""
    async with httpx.AsyncClient(base_url=up.url, timeout=5.0) as http:
        while not stop.is_set():
            value = round(random.uniform(-20, 20), 2)
            try:
                r = await http.put(
                    f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": value}
                )
                counts["ok" if r.status_code == 200 else "refused"] += 1
            except httpx.HTTPError:
                counts["failed"] += 1
                await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
def data_mount(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """A tiny tmpfs for the data dir (None when this machine does not let us mount)."""
    path = tmp_path_factory.mktemp("faults-data")
    ok = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={TMPFS_SIZE}", "tmpfs", str(path)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield path if ok else None
    finally:
        if ok:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


@pytest.fixture(scope="module")
def up(
    tmp_path_factory: pytest.TempPathFactory, catalog_cache_dir: Path, data_mount: Path | None
) -> Iterator[Up]:
    stack = Up(tmp_path_factory.mktemp("faults"), catalog_cache_dir, data_dir=data_mount)
    try:
        t0 = time.monotonic()
        stack.start()
        print(f"\nstompbox up ready in {time.monotonic() - t0:.1f} s")
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def board(up: Up) -> str:
    return asyncio.run(build_board(up))


# -- kill -9, one process at a time ----------------------------------------------------------


def _victim(up: Up, which: str) -> int:
    if which == "jalv":
        pids = up.jalv_pids()
        assert pids, "no jalv of this stack running"
        return pids[0]
    pid = up.pid_of(which)
    assert pid is not None, f"no {which} process"
    return pid


ISOLATION = os.environ.get("STOMPBOX_ENGINE_ISOLATION", "").lower() in ("1", "true", "yes")
JALV = pytest.param(
    "jalv",
    marks=pytest.mark.skipif(
        not ISOLATION,
        reason="plugins run inside the engine (its kill -9 is the `engine` case); "
        "STOMPBOX_ENGINE_ISOLATION=true runs each in a jalv",
    ),
)


@pytest.mark.parametrize("which", [JALV, "engine", "bridge", "session", "web"])
async def test_kill9_recovers(up: Up, board: str, which: str) -> None:
    assert await converge(up) >= 0  # equal before the fault
    stop, counts = asyncio.Event(), {"ok": 0, "refused": 0, "failed": 0}
    async with asyncio.TaskGroup() as tg:
        tg.create_task(turn_knobs(up, board, stop, counts))
        await asyncio.sleep(1.0)  # knobs turning
        victim = _victim(up, which)
        t0 = time.monotonic()
        os.kill(victim, signal.SIGKILL)
        try:
            deadline = t0 + RECOVERY_BOUND
            while (_replacement(up, which, victim) is None) and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1.0)  # keep turning while the stack settles
        finally:
            stop.set()
    await converge(up, RECOVERY_BOUND - (time.monotonic() - t0))
    recovery = time.monotonic() - t0
    state = await model(up)
    gain = state["pedalboard"]["plugins"][0]["parameters"]["gain"]
    browser = await ws_state(up)
    assert browser["pedalboard"] == state["pedalboard"]
    print(
        f"\nkill -9 {which} (pid {victim}): engine == model after {recovery:.1f} s; "
        f"client calls {counts}; final gain {gain}"
    )
    assert recovery < RECOVERY_BOUND


def _replacement(up: Up, which: str, old: int) -> int | None:
    try:
        pid = _victim(up, which)
    except AssertionError:
        return None
    return pid if pid != old else None


# -- the data dir -----------------------------------------------------------------------------


def _fill(path: Path) -> Path:
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with contextlib.suppress(OSError):
            while os.write(fd, b"\0" * 4096):
                pass
    finally:
        os.close(fd)
    return filler


async def _save_refused_then_serving(up: Up, iid: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        r = await http.post("/api/pedalboard/save")
        assert r.status_code == 507, r.text
        body = r.json()
        assert body["type"] == "resource", body
        r = await http.post("/api/pedalboard/save-as", json={"name": f"full {time.time_ns()}"})
        assert r.status_code == 507, r.text
        # the session keeps running: reads and knob turns still work
        r = await http.put(f"/api/pedalboard/plugins/{iid}/parameters/gain", json={"value": 3.0})
        assert r.status_code == 200, r.text
        assert (await http.get("/api/health")).json()["session"] is True
        return dict(body)


def _need_mount(up: Up, data_mount: Path | None) -> Path:
    if data_mount is None:
        pytest.skip("cannot mount a tmpfs here (needs root/CAP_SYS_ADMIN)")
    return data_mount


async def test_disk_full_save_is_resource_error(
    up: Up, board: str, data_mount: Path | None
) -> None:
    path = _need_mount(up, data_mount)
    filler = _fill(path)
    try:
        body = await _save_refused_then_serving(up, board)
        print(f"\ndisk full: save → 507 {body['message']!r}")
    finally:
        filler.unlink()
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        r = await http.post("/api/pedalboard/save")
        assert r.status_code == 200, r.text
    await converge(up)


async def test_read_only_data_dir_save_is_resource_error(
    up: Up, board: str, data_mount: Path | None
) -> None:
    path = _need_mount(up, data_mount)
    subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True)
    try:
        body = await _save_refused_then_serving(up, board)
        print(f"\nread-only data dir: save → 507 {body['message']!r}")
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(path)], check=True)
    async with httpx.AsyncClient(base_url=up.url, timeout=30.0) as http:
        r = await http.post("/api/pedalboard/save")
        assert r.status_code == 200, r.text


def test_no_half_written_files_after_faults(up: Up, board: str) -> None:
    """Every board file in the data dir decodes; temp files are ignored by the loader."""
    from stompbox.session.storage import Storage

    storage = Storage(up.data_dir)
    for board_id in storage.ids():
        storage.load(board_id)
    leftovers = sorted(p.name for p in up.data_dir.rglob("*.tmp"))
    print(f"\ntemp files left in the data dir: {leftovers}")
    assert all(p.startswith(".") for p in leftovers)
    assert not any(name.endswith(".tmp") for name in storage.ids())


# -- jackd ------------------------------------------------------------------------------------


async def test_jackd_restart_rebuilds_board(up: Up, board: str) -> None:
    await converge(up)
    jackd = up.pid_of("jackd")
    assert jackd is not None, "the supervisor did not start jackd"
    t0 = time.monotonic()
    os.kill(jackd, signal.SIGKILL)
    seen_down = False
    async with httpx.AsyncClient(base_url=up.url, timeout=5.0) as http:
        deadline = t0 + 20
        while time.monotonic() < deadline and not seen_down:
            with contextlib.suppress(httpx.HTTPError):
                health = (await http.get("/api/health")).json()
                seen_down = not health.get("engine_connected", True)
            await asyncio.sleep(0.1)
    await converge(up, RECOVERY_BOUND)
    print(
        f"\njackd kill -9: rebuilt after {time.monotonic() - t0:.1f} s "
        f"(health reported the engine down: {seen_down})"
    )
