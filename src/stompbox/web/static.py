"""Serve the web client's files from `web/static/`: safe paths, right types, revalidated caching."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from .errors import error_response

STATIC_DIR = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".webmanifest": "application/manifest+json",
}


def content_type(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in TYPES:
        return TYPES[suffix]
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"


def resolve(root: Path, relative: str) -> Path | None:
    """The file `relative` names inside `root`, or None (missing, a directory, or outside)."""
    if "\x00" in relative or "\\" in relative:
        return None
    try:
        base = root.resolve()
        candidate = (base / relative.lstrip("/")).resolve()
        if not candidate.is_relative_to(base) or not candidate.is_file():
            return None
    except (OSError, ValueError):
        return None
    return candidate


def build_static_router(root: Path = STATIC_DIR) -> APIRouter:
    """`GET /` → index.html, `GET /<path>` → that file; ETag/Last-Modified with `no-cache`."""
    r = APIRouter(include_in_schema=False)

    def serve(request: Request, relative: str) -> Response:
        path = resolve(root, relative)
        if path is None:
            return error_response(404, "not_found", f"no such file: /{relative}")
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        headers = {
            "Cache-Control": "no-cache",
            "ETag": etag,
            "X-Content-Type-Options": "nosniff",
        }
        if request.headers.get("if-none-match") == etag:
            return Response(status_code=304, headers=headers)
        return FileResponse(path, media_type=content_type(path), headers=headers)

    @r.get("/")
    async def index(request: Request) -> Response:
        return serve(request, "index.html")

    @r.get("/{relative:path}")
    async def file(request: Request, relative: str) -> Response:
        if relative == "api" or relative.startswith("api/"):
            return error_response(404, "not_found", f"no such API route: /{relative}")
        return serve(request, relative)

    return r
