"""The marketplace's API as the client uses it, and the saved sign-in."""

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

USER_AGENT = "optin-media-client/0.1"


class ClientError(Exception):
    """Something to tell the user, then stop."""


def config_path() -> Path:
    """OPTIN_MEDIA_CONFIG, else `optin-media/config.json` in the user's config folder."""
    if explicit := os.environ.get("OPTIN_MEDIA_CONFIG"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "optin-media" / "config.json"


@dataclass(frozen=True)
class Config:
    server: str
    token: str

    def save(self) -> Path:
        """Written readable by its owner only (0600): it holds the token."""
        path = config_path()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"server": self.server, "token": self.token}, file)
        os.chmod(path, 0o600)
        return path

    @classmethod
    def load(cls) -> "Config":
        path = config_path()
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise ClientError("Not signed in: run `optin-media login` first.") from None
        return cls(server=data["server"], token=data["token"])


def _message(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"
    fields = error.get("fields") or {}
    detail = "; ".join(f"{k}: {v}" for k, v in fields.items()) if fields else ""
    return f"{error.get('message', '')} ({error.get('code', response.status_code)})" + (
        f" [{detail}]" if detail else ""
    )


class Api:
    """Calls to the API, signed with the token; errors become ClientError."""

    def __init__(self, server: str, token: str = "", *, timeout: float = 60.0):
        headers = {"User-Agent": USER_AGENT}
        if token:
            headers["Authorization"] = f"Token {token}"
        self.server = server.rstrip("/")
        self.http = httpx.Client(base_url=self.server, headers=headers, timeout=timeout)

    @classmethod
    def from_config(cls) -> "Api":
        config = Config.load()
        return cls(config.server, config.token)

    def call(self, method: str, path: str, **kwargs) -> dict:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ClientError(f"Cannot reach {self.server}: {error}") from error
        if response.status_code >= 400:
            raise ClientError(_message(response))
        return response.json()

    def get(self, path: str, **kwargs) -> dict:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: dict | None = None, **kwargs) -> dict:
        return self.call("POST", path, json=body or {}, **kwargs)

    def wait(
        self,
        path: str,
        *,
        timeout: float,
        what: str,
        again: str = "run the command again with --new",
    ) -> dict:
        """Poll a background job (manifest, shard export) until it is done. `again` says how
        to ask for a new one once it has expired."""
        deadline, pause = time.monotonic() + timeout, 0.2
        while True:
            body = self.get(path)
            if body["state"] == "done":
                return body
            if body["state"] == "failed":
                raise ClientError(f"The {what} failed: {body.get('error') or 'no reason given'}")
            if body["state"] == "expired":  # its files, deleted after some days
                raise ClientError(
                    f"The {what} has expired: its files were deleted. Ask for a new one ({again})."
                )
            if time.monotonic() > deadline:
                raise ClientError(f"The {what} is not ready after {timeout:.0f} s; try again.")
            time.sleep(pause)
            pause = min(pause * 1.5, 5.0)
