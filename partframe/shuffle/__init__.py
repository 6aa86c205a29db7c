"""Moving rows between partitions by key: hash partitioning and shuffles."""

from .hashing import hash_keys, partitioning_index
from .tasks import Shuffle, SortedRepartition

__all__ = ["Shuffle", "SortedRepartition", "hash_keys", "partitioning_index"]
