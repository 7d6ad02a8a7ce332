"""The replica lag metrics read INFO replication's slaveN lines (Redis's format), whatever their number."""

from redislite.http.metrics import replica_lags


def test_each_replica_line_gives_its_lag_by_address():
    fields = {
        "role": "master",
        "connected_slaves": 2,
        "slave0": "ip=10.0.0.5,port=6380,state=online,offset=1234,lag=0",
        "slave1": "ip=10.0.0.6,port=6381,state=wait_bgsave,offset=0,lag=3",
        "slave_read_only": 1,
        "master_repl_offset": 1234,
    }
    assert replica_lags(fields) == {"10.0.0.5:6380": 0.0, "10.0.0.6:6381": 3.0}


def test_a_master_without_replicas_has_no_lags():
    assert replica_lags({"role": "master", "connected_slaves": 0, "master_repl_offset": 0}) == {}
