import httpx
import pytest
import redis

from .servers import raw_client, real_redis, redis_server_path, redislite


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One RedisLite process for the whole session; tests flush what they use."""
    with redislite(cwd=tmp_path_factory.mktemp("redislite")) as process:
        yield process


@pytest.fixture
def r(server):
    """A redis-py client (RESP2) on a flushed server."""
    client = redis.Redis(port=server.port, protocol=2)
    client.flushall()
    yield client
    client.close()


@pytest.fixture(scope="session")
def oracle(tmp_path_factory):
    """A real redis-server to compare against; skipped visibly when it is not installed."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with real_redis(cwd=tmp_path_factory.mktemp("redis")) as process:
        yield process


@pytest.fixture
def lite(r, server):
    """A raw client (replies unparsed) on the flushed session RedisLite."""
    client = raw_client(server.port)
    yield client
    client.close()


@pytest.fixture
def o(oracle):
    """A raw client on the flushed real redis-server."""
    client = raw_client(oracle.port)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def resp(server):
    """A redis-py client on the module's `server` (data left as the test leaves it)."""
    client = redis.Redis(port=server.port)
    yield client
    client.close()


@pytest.fixture
def api(server):
    """An HTTP client on the HTTP API of the module's `server` (one started with redislite_with_http)."""
    with httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}", timeout=10) as client:
        yield client
