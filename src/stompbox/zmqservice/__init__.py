"""The seed's ZMQ Service: RPC server/client, PUB/SUB events and endpoint naming over ZeroMQ.

Imports only stompbox.contract and stompbox.settings. No zmq.ZMQError leaves this package: zmq
failures surface as StompboxConnectionError (or ValidationError for a bad endpoint).
"""

from __future__ import annotations

from .endpoints import pub_endpoint, rpc_endpoint
from .pubsub import Publisher, Subscriber
from .rpc import Handler, RpcClient, RpcServer
from .service import ZmqService

__all__ = [
    "Handler",
    "Publisher",
    "RpcClient",
    "RpcServer",
    "Subscriber",
    "ZmqService",
    "pub_endpoint",
    "rpc_endpoint",
]
