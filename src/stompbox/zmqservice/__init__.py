"""The seed's ZMQ Service: RPC server/client, PUB/SUB events and endpoint naming over ZeroMQ.

Serving (one per process)::

    service = ZmqService("bridge", settings)
    service.register(bridge_api.PLUGIN_LOAD, load)              # async def load(p: PluginLoad)
    async with service, asyncio.TaskGroup() as tg:
        tg.create_task(service.run())
        service.publish("engine_connected", {})                 # sync, never blocks

Calling and following another service::

    async with service.client("bridge") as bridge, service.subscribe("bridge") as events:
        state = await bridge.call(bridge_api.STATE, Empty())     # -> BridgeState; idempotent:
                                                                 # retried on timeout
        await bridge.call(bridge_api.PLUGIN_LOAD, PluginLoad(uri)) # never retried once sent
        async for event in events:                               # contract.rpc.Event
            ...

Joining late (PUB/SUB "slow joiner"): open the Subscriber first, then call `state` and apply only
events whose seq is greater than the state's seq; a gap in seq means call `state` again.

tcp endpoints require CURVE with keys from `settings.keys_dir` (see curve.py); ipc endpoints
live in the private (0700) runtime dir and use none.

Imports only stompbox.contract and stompbox.settings. No zmq.ZMQError leaves this package: zmq
failures surface as StompboxConnectionError, ConflictError (endpoint taken) or ValidationError
(bad endpoint).
"""

from __future__ import annotations

from .curve import CurveKeys, load_or_create
from .endpoints import pub_endpoint, rpc_endpoint
from .pubsub import Publisher, Subscriber
from .rpc import Handler, RpcClient, RpcServer
from .service import ZmqService

__all__ = [
    "CurveKeys",
    "Handler",
    "Publisher",
    "RpcClient",
    "RpcServer",
    "Subscriber",
    "ZmqService",
    "load_or_create",
    "pub_endpoint",
    "rpc_endpoint",
]
