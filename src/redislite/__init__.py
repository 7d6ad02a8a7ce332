"""RedisLite: a Redis-compatible in-memory database server."""

__version__ = "0.1.0"
REDIS_COMPAT_VERSION = "7.0.15"  # the Redis version whose behaviour we match (INFO redis_version, HELLO)
