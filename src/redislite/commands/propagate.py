"""Shapes of what commands propagate (see Client.propagate_as)."""

PROPAGATION_BATCH = 1024  # t_set.c's SPOP batch: elements per propagated command


def in_batches(verb: bytes, key: bytes, items: list[bytes]) -> list[list[bytes]]:
    """`verb key item ...` commands of at most PROPAGATION_BATCH items each (none for no items)."""
    return [[verb, key, *items[start : start + PROPAGATION_BATCH]] for start in range(0, len(items), PROPAGATION_BATCH)]
