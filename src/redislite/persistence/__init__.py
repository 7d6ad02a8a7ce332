"""Persistence: Redis's RDB format (rdb.py and the compact encodings it carries), snapshots (SAVE, BGSAVE, save
points, loading at start-up), the append-only file (aof.py the writer, aof_fsync.py its everysec fsync thread,
aof_manifest.py the manifest, aof_format.py the RESP form, aof_loader.py the replay, aof_rewrite.py rewrites),
and the service the server installs as `ServerState.persistence`.

Sits above the engine and below the server: commands reach it only through `ctx.server.persistence`.
"""
