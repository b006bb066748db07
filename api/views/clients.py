"""Looking a client up for a route: the client, or the one 404 every route answers for an unknown id."""

from __future__ import annotations

from api.errors import NotFound
from statusmon.meta.clients import Client, ClientRegistry


def client_or_404(registry: ClientRegistry, client_id: str) -> Client:
    client = registry.get(client_id)
    if client is None:
        raise NotFound(f"no client {client_id!r}")
    return client
