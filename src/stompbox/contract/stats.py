"""Result types of the `statistics` figures: the session's (`health`, `statistics`), the bridge's
(`statistics`) and the web process's (`/api/stats`). Counters default to 0; a figure of the RPC
layer itself (zmqservice's `statistics()`) travels as it is, under `rpc` / `subscriber`."""

from __future__ import annotations

from typing import Any

import msgspec

from .warning import SessionWarningData

# -- session --------------------------------------------------------------------------------


class SessionCounters(msgspec.Struct, frozen=True, kw_only=True):
    plugins: int
    engine_instances: int
    autosave_writes: int
    autosave_failures: int
    replays: int
    lock_held: bool


class WatchdogStatistics(msgspec.Struct, frozen=True):
    rounds: int = 0
    repairs: int = 0


class ReasserterStatistics(msgspec.Struct, frozen=True):
    reasserted: int = 0
    pending: int = 0


class SessionStatistics(msgspec.Struct, frozen=True, kw_only=True):
    session: SessionCounters
    rpc: dict[str, Any]  # the session's RPC server
    bridge: dict[str, Any]  # its RPC client of the bridge
    warnings: list[SessionWarningData] = msgspec.field(default_factory=list)  # the last 20
    autosave_failing: str = ""  # the last error while autosave writes fail; "" once one succeeds
    watchdog: WatchdogStatistics = WatchdogStatistics()
    reasserter: ReasserterStatistics = ReasserterStatistics()
    structural_reasserter: ReasserterStatistics = ReasserterStatistics()  # session/doubt.py


# -- bridge ---------------------------------------------------------------------------------


class EngineLinkStatistics(msgspec.Struct, frozen=True, kw_only=True):
    """The bridge's connection to the engine: its write queue and counters."""

    connected: bool
    queued: int = 0
    in_flight: int = 0
    coalesced: int = 0
    requests: int = 0
    replies: int = 0
    writes: int = 0
    written: int = 0
    refused: int = 0
    timeouts: int = 0
    feedback: int = 0
    connects: int = 0
    disconnects: int = 0


class AudioStatistics(msgspec.Struct, frozen=True):
    running: bool
    xruns: int
    server: str


class TransactionStatistics(msgspec.Struct, frozen=True):
    supported: bool | None  # None: not probed on this connection yet
    open: int
    committed: int


class PluginStatistics(msgspec.Struct, frozen=True):
    stale_numbers: int = 0  # adds that found a leftover plugin on their number (cleared first)
    late_adds_removed: int = 0  # adds that timed out, undone by a follow-up remove


class BridgeStatistics(msgspec.Struct, frozen=True, kw_only=True):
    rpc: dict[str, Any]  # the bridge's RPC server
    engine: EngineLinkStatistics
    audio: AudioStatistics
    instances: int
    connections: int
    transactions: TransactionStatistics
    catalog: int | None  # plugins in the catalog, None until it is loaded
    plugins: PluginStatistics = PluginStatistics()


# -- web ------------------------------------------------------------------------------------


class Delivery(msgspec.Struct, frozen=True):
    """Hub receipt of an event → its text written to a socket, over the last samples."""

    n: int = 0
    p50: float | None = None
    p99: float | None = None


class HubStatistics(msgspec.Struct, frozen=True, kw_only=True):
    clients: int
    last_seq: int
    delivery_ms: Delivery
    subscriber: dict[str, Any]
    events: int = 0  # events received from the session
    states: int = 0  # fresh states fetched
    resyncs: int = 0  # gaps in seq: every socket sent a fresh state
    # the counters of every socket (summed; a closed socket's stay counted)
    sent: int = 0
    received: int = 0
    refused: int = 0
    coalesced: int = 0  # values replaced in a socket's queue by a newer value of the same key
    overflows: int = 0  # a socket's queue full: backlog dropped for a fresh state
    replies_dropped: int = 0
    errors_dropped: int = 0
    resyncs_limited: int = 0
    calls_paced: int = 0


class WebStatistics(msgspec.Struct, frozen=True):
    hub: HubStatistics
    rpc: dict[str, Any]  # the web process's RPC client of the session
