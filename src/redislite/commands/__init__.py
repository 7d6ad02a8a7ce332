"""Command families, one module each. Importing this package registers every command in the table."""

from . import (  # noqa: F401
    bitmaps,
    client,
    connection,
    hashes,
    hyperloglog,
    introspection,
    keys,
    lists,
    pubsub,
    server,
    sets,
    sort,
    strings,
    transactions,
    zsets,
)
