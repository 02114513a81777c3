"""One `jalv` process hosting one plugin instance, driven through its console on stdin/stdout."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
from collections.abc import Callable, Collection, Coroutine
from typing import Any

from stompbox.lifetime import die_with_parent

log = logging.getLogger(__name__)

# `sym = 1.000000`, possibly after one or more `> ` prompts
_VALUE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*) = (\S+)$")
_SYNC = re.compile(r"^error: no control named `__sync_(\d+)'")
_PROMPT = "> "


class JalvError(RuntimeError):
    """The jalv process exited, or did not answer in time."""


def strip_prompts(line: str) -> str:
    """Remove the `> ` prompts jalv writes (without newline) before each console reply."""
    line = line.rstrip("\r\n")
    while line.startswith(_PROMPT):
        line = line[len(_PROMPT) :]
    return "" if line.strip() in ("", ">") else line


class JalvProcess:
    """A running `jalv -n effect_N -x -p URI`; stdout and stderr are merged into one ordered pipe.

    `values` holds the current input control values (the initial dump, then what we set or a preset
    loaded), `outputs` the last printed output control values. `on_output(symbol, value)` is called
    for every printed output-port change; `on_exit(returncode)` once when the process ends.
    """

    def __init__(
        self,
        name: str,
        uri: str,
        *,
        inputs: Collection[str],
        outputs: Collection[str],
        on_output: Callable[[str, float], None],
        on_exit: Callable[[int], None],
    ) -> None:
        self.name = name
        self.uri = uri
        self._inputs = frozenset(inputs)
        self._outputs = frozenset(outputs)
        self.values: dict[str, float] = {}
        self.outputs: dict[str, float] = {}
        self._on_output = on_output
        self._on_exit = on_exit
        self._proc: asyncio.subprocess.Process | None = None
        self._sync_seq = 0
        self._syncs: dict[int, asyncio.Future[None]] = {}
        self._capture_inputs = True  # the initial control dump, and the dump after `preset`
        self.returncode: int | None = None
        self.closing = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def alive(self) -> bool:
        return self._proc is not None and self.returncode is None

    async def start(self) -> None:
        """Spawn jalv; returns once the process exists (`ready()` waits for JACK activation)."""
        cmd = ["stdbuf", "-oL", "jalv", "-n", self.name, "-x", "-p", self.uri]
        self._proc = await asyncio.create_subprocess_exec(
            *cmd,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # never outlive the engine
        )

    async def run(self) -> None:
        """Read the console until EOF, then reap the process and report its exit."""
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        try:
            while True:
                raw = await proc.stdout.readline()
                if not raw:
                    break
                self._line(raw.decode(errors="replace"))
        finally:
            code = await proc.wait()
            self.returncode = code
            for fut in self._syncs.values():
                if not fut.done():
                    fut.set_exception(JalvError(f"{self.name} exited with {code}"))
            self._syncs.clear()
            self._on_exit(code)

    def _line(self, raw: str) -> None:
        line = strip_prompts(raw)
        if not line:
            return
        m = _VALUE.match(line)
        if m:
            sym, text = m.group(1), m.group(2)
            try:
                value = float(text)
            except ValueError:
                return
            if sym in self._outputs:
                self.outputs[sym] = value
                self._on_output(sym, value)
            elif sym in self._inputs and self._capture_inputs:
                self.values[sym] = value
            return
        s = _SYNC.match(line)
        if s:
            fut = self._syncs.pop(int(s.group(1)), None)
            if fut is not None and not fut.done():
                fut.set_result(None)
            return
        log.debug("%s: %s", self.name, line)

    def send(self, line: str) -> None:
        """Write one console command (no wait for its acknowledgement)."""
        proc = self._proc
        if proc is None or proc.stdin is None or self.returncode is not None:
            raise JalvError(f"{self.name} is not running")
        if proc.stdin.is_closing():
            raise JalvError(f"{self.name} stdin is closed")
        proc.stdin.write(line.encode() + b"\n")

    def set(self, symbol: str, value: float) -> None:
        """`set SYMBOL VALUE`, fire and forget; the value is recorded at once."""
        self.values[symbol] = value
        self.send(f"set {symbol} {value!r}")

    async def sync(self, within: float) -> None:
        """Wait until jalv has processed every line written before this call."""
        self._sync_seq += 1
        seq = self._sync_seq
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._syncs[seq] = fut
        self.send(f"set __sync_{seq} 0")
        try:
            async with asyncio.timeout(within):
                await fut
        finally:
            self._syncs.pop(seq, None)

    async def ready(self, within: float) -> None:
        """Wait until the console answers: jalv reads stdin only after its JACK client is active."""
        await self.sync(within)
        self._capture_inputs = False

    async def load_preset(self, uri: str, within: float) -> None:
        """`preset URI`; jalv prints every control afterwards, which updates `values`."""
        self._capture_inputs = True
        try:
            self.send(f"preset {uri}")
            await self.sync(within)
        finally:
            self._capture_inputs = False

    async def refresh_outputs(self, within: float) -> dict[str, float]:
        """`monitors`: have jalv print every output control value, and return them."""
        self.send("monitors")
        await self.sync(within)
        return dict(self.outputs)

    async def close(self, within: float) -> int:
        """End jalv: close its stdin and send SIGTERM at once (jalv exits cleanly on either and
        removes its JACK client; some plugins' jalv ignore a closed stdin for seconds), then
        SIGKILL if it is still there after `within` seconds."""
        self.closing = True
        proc = self._proc
        if proc is None:
            return 0
        if proc.stdin is not None and not proc.stdin.is_closing():
            proc.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            async with asyncio.timeout(within):
                return await proc.wait()
        except TimeoutError:
            log.warning("%s did not exit after SIGTERM; sending SIGKILL", self.name)
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
        return await proc.wait()

    def kill(self) -> None:
        if self._proc is not None and self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()


Spawner = Callable[[Coroutine[Any, Any, None]], object]
"""Runs a coroutine in the caller's task group (a jalv's `run()` lives as long as it does)."""


async def launch(
    name: str,
    uri: str,
    *,
    inputs: Collection[str],
    outputs: Collection[str],
    on_output: Callable[[str, float], None],
    on_exit: Callable[[int], None],
    spawn: Spawner,
    start_timeout: float,
    stop_timeout: float,
) -> JalvProcess | None:
    """Start jalv for one plugin as JACK client `name`, hand its `run()` to `spawn` and wait
    until it is ready; None (the process stopped again) when it did not start or get ready."""
    proc = JalvProcess(
        name, uri, inputs=inputs, outputs=outputs, on_output=on_output, on_exit=on_exit
    )
    try:
        await proc.start()
    except OSError as exc:
        log.error("cannot start jalv for %s: %s", name, exc)
        return None
    spawn(proc.run())
    try:
        await proc.ready(start_timeout)
    except (JalvError, TimeoutError) as exc:
        log.warning("%s (%s) did not start: %r", name, uri, exc)
        await proc.close(stop_timeout)
        return None
    return proc
