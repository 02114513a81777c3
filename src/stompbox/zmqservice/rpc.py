"""RPC over ZeroMQ ROUTER/DEALER: the server and the client (one module each, re-exported here)."""

from __future__ import annotations

from .client import RpcClient
from .server import MAX_CONCURRENT_HANDLERS, Handler, RpcServer

__all__ = ["MAX_CONCURRENT_HANDLERS", "Handler", "RpcClient", "RpcServer"]
