"""Command families, one module each. Importing this package registers every command in the table."""

from . import client, connection, introspection, keys, server, strings  # noqa: F401
