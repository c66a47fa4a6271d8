"""Point discord.py at FakeDiscord in a bot process the test starts; production code never knows.

A test (or the screenshot script) puts this folder first on ``PYTHONPATH`` and sets ``TICKET_BRIDGE_FAKE_DISCORD``
to the fake's base URL (``http://127.0.0.1:PORT``). Python's ``site`` module imports ``sitecustomize`` at
interpreter start (the venv has none of its own, and ``PYTHONPATH`` entries come before the standard library), so
the patch is in place before the bot's ``__main__`` runs. Without the variable this module does nothing.

Patched (discord.py 2.7.1):

* ``discord.http.Route.BASE``: every REST call, interaction callbacks and followup webhooks included
  (``Route.url`` is built from ``self.BASE`` at construction time).
* ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`` (a ``yarl.URL``): ``Client.connect`` uses it directly (it does
  not call ``GET /gateway/bot``) and falls back to it after an invalid session. Resumes use READY's
  ``resume_gateway_url``, which the fake points at itself.

If patching fails the process exits at once: it must never reach real Discord with a test token.
"""

from __future__ import annotations

import os
import sys

ENV_VAR = "TICKET_BRIDGE_FAKE_DISCORD"
API_VERSION = 10


def _patch(base_url: str) -> None:
    import discord.gateway
    import discord.http
    import yarl

    base_url = base_url.rstrip("/")
    url = yarl.URL(base_url)
    if url.host not in ("127.0.0.1", "localhost", "::1"):
        raise RuntimeError(f"{ENV_VAR} must point at a local fake, not {base_url!r}")
    ws_scheme = "wss" if url.scheme == "https" else "ws"
    discord.http.Route.BASE = f"{base_url}/api/v{API_VERSION}"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = url.with_scheme(ws_scheme).with_path("/ws")


_base_url = os.environ.get(ENV_VAR)
if _base_url:
    try:
        _patch(_base_url)
    except BaseException as exc:  # noqa: BLE001 - anything here must stop the process
        print(f"sitecustomize: could not point discord.py at the fake ({exc!r}); exiting", file=sys.stderr, flush=True)
        os._exit(70)
