"""Command families, one module each. Importing this package registers every command in the table."""

from . import connection, strings  # noqa: F401
