"""Replication, Redis's PSYNC2 protocol on the server's event loop: the replica's link to its master
(`replica.py`) and the master's links to its replicas (`master.py`). The replication ID, offset and backlog they
share live in `engine/replication.py`."""
