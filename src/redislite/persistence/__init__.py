"""Persistence: Redis's RDB format (rdb.py and the compact encodings it carries), snapshots (SAVE, BGSAVE, save
points, loading at start-up) and the service the server installs as `ServerState.persistence`.

Sits above the engine and below the server: commands reach it only through `ctx.server.persistence`.
"""
