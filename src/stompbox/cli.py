"""The `stompbox` command: run one process of the stack, or all of them supervised (`up`)."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from .settings import Settings, UnsafeDirError, private_dir

PROCESSES = ("engine", "bridge", "session", "web")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="stompbox", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    eng = sub.add_parser("engine", help="embedded mod-host-compatible engine (one jalv per plugin)")
    eng.add_argument("--port", type=int, help="command port (default 5555)")
    eng.add_argument("--feedback-port", type=int, help="feedback port (default 5556)")
    sub.add_parser("bridge", help="engine owner, LV2 catalog, audio system, on ZeroMQ")
    sub.add_parser("session", help="session manager: the single source of truth")
    web = sub.add_parser("web", help="HTTP/WebSocket API and the web client")
    web.add_argument("--host", help="bind address (default 127.0.0.1)")
    web.add_argument("--port", type=int, help="HTTP port (default 8080)")
    up = sub.add_parser("up", help="start jackd if needed and every process, supervised")
    up.add_argument("--no-engine", action="store_true", help="use a running mod-host instead")
    up.add_argument("--host", help="web bind address")
    up.add_argument("--port", type=int, help="web HTTP port")
    return p


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if args.command == "engine":
        if args.port is not None:
            overrides["engine_port"] = args.port
        if args.feedback_port is not None:
            overrides["engine_feedback_port"] = args.feedback_port
    elif args.command in ("web", "up"):
        if args.host is not None:
            overrides["web_host"] = args.host
        if args.port is not None:
            overrides["web_port"] = args.port
    if args.command == "up" and args.no_engine:
        overrides["engine_embedded"] = False
    return Settings(**overrides)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = _settings(args)
    logging.basicConfig(
        level=settings.log_level,
        format=f"%(asctime)s {args.command} %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        private_dir(settings.runtime_dir)
    except (UnsafeDirError, OSError) as exc:
        logging.getLogger("stompbox").error("runtime dir refused: %s", exc)
        return 2
    if args.command == "up":
        from .supervisor import main as up_main

        return up_main(settings)
    module = importlib.import_module(f"stompbox.{args.command}.app")
    return int(module.main(settings))


if __name__ == "__main__":
    sys.exit(main())
