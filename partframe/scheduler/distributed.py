"""Run graphs on a ``distributed.Client``: an adapter, not a translator.

Our graphs follow the legacy Dask spec, which ``Client.get`` runs unchanged.
``distributed`` is imported only by the caller who passes a Client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["client_get"]


def client_get(client: Any) -> Callable[..., Any]:
    """Return a ``get(dsk, keys, **options)`` function that runs on ``client``."""

    def get_distributed(dsk: dict, keys: Any, **options: Any) -> Any:
        options.pop("num_workers", None)
        options.pop("callbacks", None)
        options.pop("progress_bar", None)
        return client.get(dsk, keys, **options)

    return get_distributed
