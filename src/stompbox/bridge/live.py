"""The `live.*` methods: file parameters (`patch_set`) and MIDI monitoring, as engine commands.

An engine that does not implement a command answers -902 (invalid operation); these methods turn
that into one clear EngineError saying the engine does not support the feature, so the session and
the browser can tell "not possible here" from "went wrong".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from stompbox.contract.bridge import Done, MidiMonitor, PatchSet, PluginUri
from stompbox.contract.errors import EngineError, NotFoundError, StompboxError, ValidationError
from stompbox.contract.live import AppliedValues, ApplyValues, FileParameter
from stompbox.contract.plugin import Direction
from stompbox.contract.values import shape_value  # a snapshot holds stored values
from stompbox.lv2.catalog import Catalog
from stompbox.lv2.files import file_parameters
from stompbox.modhost import commands as mh
from stompbox.modhost.errors import ErrorCode

from .engine_client import EngineClient
from .instances import InstanceTable
from .transactions import Transactions
from .validation import control_port

MAX_PATH = 4096
MAX_BURST = 4096


def unsupported(exc: StompboxError, feature: str) -> StompboxError:
    """`exc`, or a clear "not supported" EngineError when the engine answered -902."""
    data = exc.data if isinstance(exc.data, dict) else {}
    if data.get("engine_code") == ErrorCode.INVALID_OPERATION:
        return EngineError(
            f"{feature} is not supported by this engine",
            ErrorCode.INVALID_OPERATION,
            {**data, "unsupported": feature},
        )
    return exc


class LiveMethods:
    """Handlers of the `live` envelope."""

    def __init__(
        self,
        engine: EngineClient,
        instances: InstanceTable,
        catalog: Callable[[], Awaitable[Catalog]],
        transactions: Transactions | None = None,
    ) -> None:
        self.engine = engine
        self.transactions = transactions or Transactions(engine)
        self.instances = instances
        self.catalog = catalog
        self._files: dict[str, list[FileParameter]] = {}

    async def apply(self, p: ApplyValues) -> AppliedValues:
        """Send every value and bypass state at once (pipelined, in one engine transaction where
        the engine has them); report each outcome."""
        if len(p.parameters) + len(p.bypass) > MAX_BURST:
            raise ValidationError(f"at most {MAX_BURST} changes in one burst")
        errors: list[str] = []

        async def one(cmd: mh.Command) -> bool:
            try:
                await self.engine.request(cmd)
            except StompboxError as exc:
                errors.append(exc.message)
                return False
            return True

        sets: list[tuple[mh.Command | None, float]] = []
        for change in p.parameters:
            try:
                inst = self.instances.get(change.instance_id)
                port = control_port(inst.plugin, change.symbol, Direction.INPUT)
                value = shape_value(port, change.value)
            except StompboxError as exc:
                errors.append(exc.message)
                sets.append((None, 0.0))
                continue
            sets.append((mh.ParamSet(inst.number, change.symbol, value), value))
        flips: list[mh.Command | None] = []
        for b in p.bypass:
            try:
                flips.append(mh.Bypass(self.instances.get(b.instance_id).number, b.bypassed))
            except StompboxError as exc:
                errors.append(exc.message)
                flips.append(None)

        async def skip() -> bool:
            return False

        async with self.transactions.batch():
            outcomes = await asyncio.gather(
                *(one(cmd) if cmd is not None else skip() for cmd, _ in sets),
                *(one(cmd) if cmd is not None else skip() for cmd in flips),
            )
        values = [v if ok else None for (_, v), ok in zip(sets, outcomes, strict=False)]
        return AppliedValues(values, list(outcomes[len(sets) :]), errors)

    async def file_parameters(self, p: PluginUri) -> list[FileParameter]:
        """The plugin's writable path parameters (read from its bundle once, then cached)."""
        cached = self._files.get(p.uri)
        if cached is not None:
            return cached
        info = (await self.catalog()).get(p.uri)
        if info is None:
            raise NotFoundError(f"no installed LV2 plugin {p.uri!r}", {"uri": p.uri})
        if not info.bundle:
            return []
        bundle = Path(info.bundle.removeprefix("file://"))
        found = await asyncio.to_thread(file_parameters, bundle, p.uri)
        self._files[p.uri] = found
        return found

    async def patch_set(self, p: PatchSet) -> Done:
        inst = self.instances.get(p.instance_id)
        if not p.property or any(c in p.property for c in ' "\0\n'):
            raise ValidationError(f"invalid property URI {p.property!r}")
        if (
            not p.path.startswith("/")
            or len(p.path) > MAX_PATH
            or any(c in p.path for c in '"\0\n')
        ):
            raise ValidationError("path must be an absolute file path without quotes or NUL")
        try:
            await self.engine.request(mh.PatchSet(inst.number, p.property, p.path))
        except StompboxError as exc:
            raise unsupported(exc, "patch_set (file parameters)") from None
        return Done()

    async def midi_monitor(self, p: MidiMonitor) -> Done:
        if not 0 <= p.channel <= 15:
            raise ValidationError("MIDI channel must be 0..15")
        try:
            await self.engine.request(mh.MonitorMidiProgram(p.channel, p.enable))
        except StompboxError as exc:
            raise unsupported(exc, "MIDI input monitoring") from None
        return Done()
