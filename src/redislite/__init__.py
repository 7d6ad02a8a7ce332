"""RedisLite: a Redis-compatible in-memory database server."""

__version__ = "0.1.0"
