"""Bring the engine to a board by applying only the differences, in mute-free order.

Order: unload instances the board lacks → disconnect stale connections → add the new instances
(all at once) → set parameters and bypass that differ → connect. Instances with the same id and
URI are reused untouched (board switches between related boards cost only their differences).
All steps run inside one bridge transaction (`plugin.transaction`): an engine that has them swaps
the whole switch in at one cycle boundary (no gap on a path the boards share); on a real mod-host
the bridge sends the same commands plainly. The function returns once the bridge answered every
step and the transaction is committed.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import msgspec

from stompbox.contract.bridge import TransactionPhase
from stompbox.contract.errors import (
    EngineError,
    NotFoundError,
    ResourceError,
    StompboxConnectionError,
    StompboxError,
    StompboxTimeoutError,
    ValidationError,
)
from stompbox.contract.model import Pedalboard, PluginInstance
from stompbox.contract.values import shape_value

from .plugin_manager import instance_from_info
from .state import EngineInstance, SessionState
from .unresolved import set_connection_pending, set_plugins_pending, take_pending, unique_ids

log = logging.getLogger(__name__)

T = TypeVar("T")

MISSING_ERRORS = (NotFoundError, ResourceError, EngineError, ValidationError)
"""Errors of plugin.load that mean: this plugin cannot run here (not installed, fails to load)."""
FATAL_ERRORS = (StompboxConnectionError, StompboxTimeoutError)


class SyncReport(msgspec.Struct):
    missing: list[str] = msgspec.field(default_factory=list)
    reused: int = 0
    loaded: int = 0
    unloaded: int = 0
    parameters: int = 0
    connections: int = 0
    problems: list[str] = msgspec.field(default_factory=list)


async def settle(aws: Iterable[Awaitable[T]]) -> list[T | StompboxError]:
    """Await all concurrently; each result or its StompboxError, in order (others propagate)."""

    async def one(aw: Awaitable[T]) -> T | StompboxError:
        try:
            return await aw
        except StompboxError as exc:
            return exc

    tasks: list[asyncio.Task[T | StompboxError]] = []
    async with asyncio.TaskGroup() as tg:
        for aw in aws:
            tasks.append(tg.create_task(one(aw)))
    return [t.result() for t in tasks]


def _raise_fatal(results: list[Any]) -> None:
    for r in results:
        if isinstance(r, FATAL_ERRORS):
            raise r


def _merge(saved: PluginInstance, fresh: PluginInstance) -> PluginInstance:
    """Fresh metadata from the installed plugin, the saved values where they still apply."""
    fresh.x, fresh.y = saved.x, saved.y
    fresh.enabled, fresh.preset = saved.enabled, saved.preset
    fresh.created_at = saved.created_at or fresh.created_at
    knobs = [k for k in saved.knobs or [] if k in fresh.available_parameters]
    fresh.knobs = knobs or None  # the user's choice of knobs, where the controls still exist
    for symbol, value in saved.parameters.items():
        port = fresh.available_parameters.get(symbol)
        if port is not None and math.isfinite(value):  # a stored value, made valid (values.py)
            fresh.parameters[symbol] = shape_value(port, value)
    return fresh


async def sync_engine(state: SessionState, target: Pedalboard) -> SyncReport:
    """Make the engine run `target`; `target` is updated in place: repeated instance ids renamed,
    what the engine cannot run moved to its pending lists (unresolved.py), pending ones retried."""
    take_pending(target)
    renamed = unique_ids(target)
    await state.bridge.transaction(TransactionPhase.BEGIN)
    try:
        report = await _sync(state, target, renamed)
    except BaseException:
        try:
            await state.bridge.transaction(TransactionPhase.COMMIT)
        except StompboxError as exc:  # the original failure is the one to report
            log.warning("transaction_commit after a failed switch: %s", exc)
        raise
    await state.bridge.transaction(TransactionPhase.COMMIT)
    return report


async def _sync(state: SessionState, target: Pedalboard, renamed: list[str]) -> SyncReport:
    bridge, view = state.bridge, state.engine
    report = SyncReport(problems=list(renamed))
    wanted = {p.instance_id: p for p in target.plugins}

    # 1. unload what the target does not have (or has with another plugin)
    stale = [i for i, e in view.instances.items() if i not in wanted or wanted[i].uri != e.uri]
    unloaded = await settle(bridge.unload(i) for i in stale)
    _raise_fatal(unloaded)
    for iid in stale:
        view.drop_instance(iid)
    report.unloaded = len(stale)

    # 2. disconnect connections the target does not have
    pairs = {(c.source, c.target) for c in target.connections}
    gone = [c for c in view.connections if c not in pairs]
    disconnected = await settle(bridge.disconnect(s, t) for s, t in gone)
    _raise_fatal(disconnected)
    view.connections.difference_update(gone)

    # 3. add every new instance at once
    new = [p for p in target.plugins if p.instance_id not in view.instances]
    report.reused = len(target.plugins) - len(new)
    results = await settle(bridge.load(p.uri, p.instance_id) for p in new)
    _raise_fatal(results)
    missing: set[str] = set()
    for plugin, result in zip(new, results, strict=True):
        if isinstance(result, StompboxError):
            log.warning("cannot load %s (%s): %s", plugin.instance_id, plugin.uri, result)
            missing.add(plugin.instance_id)
            report.missing.append(plugin.uri)
            continue
        fresh = _merge(plugin, instance_from_info(result.plugin, plugin.instance_id))
        defaults = instance_from_info(result.plugin, plugin.instance_id).parameters
        view.instances[plugin.instance_id] = EngineInstance(plugin.uri, defaults, False)
        target.plugins[target.plugins.index(plugin)] = fresh
        report.loaded += 1
    if missing:
        set_plugins_pending(target, missing)

    # 4. parameters and bypass that differ from what the engine runs
    await _apply_values(state, target, report)

    # 5. connect what is missing
    todo = [
        (c.source, c.target)
        for c in target.connections
        if (c.source, c.target) not in view.connections
    ]
    connected = await settle(bridge.connect(s, t) for s, t in todo)
    _raise_fatal(connected)
    for pair, outcome in zip(todo, connected, strict=True):
        if isinstance(outcome, StompboxError):
            report.problems.append(
                f"connect {pair[0]} → {pair[1]}: {outcome.message} (kept as pending)"
            )
            set_connection_pending(target, *pair)
        else:
            view.connections.add(pair)
            report.connections += 1
    for problem in report.problems:
        log.warning("pedalboard %s: %s", target.id, problem)
    return report


async def _apply_values(state: SessionState, target: Pedalboard, report: SyncReport) -> None:
    bridge, view = state.bridge, state.engine
    sets: list[tuple[PluginInstance, str, float]] = []
    bypasses: list[tuple[PluginInstance, bool]] = []
    for plugin in target.plugins:
        engine = view.instances[plugin.instance_id]
        for symbol, value in plugin.parameters.items():
            if engine.parameters.get(symbol) != value:
                sets.append((plugin, symbol, value))
        if engine.bypassed is None or engine.bypassed == plugin.enabled:
            bypasses.append((plugin, not plugin.enabled))
    results = await settle(
        [bridge.set_parameter(p.instance_id, s, v) for p, s, v in sets]
        + [bridge.bypass(p.instance_id, b) for p, b in bypasses]
    )
    _raise_fatal(results)
    for (plugin, symbol, _value), result in zip(sets, results, strict=False):
        if isinstance(result, StompboxError):
            report.problems.append(f"{plugin.instance_id}:{symbol}: {result.message}")
            continue
        assert isinstance(result, float)
        plugin.parameters[symbol] = result
        view.instances[plugin.instance_id].parameters[symbol] = result
        report.parameters += 1
    for (plugin, bypassed), result in zip(bypasses, results[len(sets) :], strict=True):
        if isinstance(result, StompboxError):
            report.problems.append(f"bypass {plugin.instance_id}: {result.message}")
        else:
            view.instances[plugin.instance_id].bypassed = bypassed


async def adopt_engine(state: SessionState) -> None:
    """Mirror what a running engine already has (after a session restart): ids and URIs from the
    bridge, connections between known addresses; parameter values and bypass are unknown."""
    bridge_state = await state.bridge.state()
    state.engine.clear()
    for iid, info in bridge_state.instances.items():
        state.engine.instances[iid] = EngineInstance(info.uri, {}, None)
    ours = set(state.engine.instances) | {"system"}
    for source, target in await state.bridge.list_connections():
        if source.split(":", 1)[0] in ours and target.split(":", 1)[0] in ours:
            state.engine.connections.add((source, target))
