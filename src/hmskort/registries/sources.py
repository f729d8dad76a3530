"""Reading a register's file from its configured URL or from a local path."""

from __future__ import annotations

from pathlib import Path

from .http import RegisterUnavailable, make_client, request


def read_bytes(*, url: str = "", path: str | Path | None = None) -> tuple[bytes, str]:
    """The file's bytes and where they came from. Raises RegisterError."""
    if path is not None:
        path = Path(path)
        try:
            return path.read_bytes(), f"file:{path.name}"
        except OSError as exc:
            raise RegisterUnavailable(f"cannot read {path}: {exc.strerror}") from None
    if not url:
        raise RegisterUnavailable("no URL is configured for this register")
    with make_client() as client:
        response = request(client, url)
    return response.content, url
