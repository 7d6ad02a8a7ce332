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
    memory,
    persistence,
    pubsub,
    scripting,
    server,
    sets,
    sort,
    strings,
    tracking,
    transactions,
    zsets,
)
