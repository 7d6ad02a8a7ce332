"""How a replica reads its master's stream (replication/replica.py): the offset each command advances, and the
parser that takes over when the stream holds more than RESP commands."""

import random

import pytest

from redislite.protocol.encoder import encode_command
from redislite.replication.replica import LinkError, command_length


def test_a_commands_length_is_its_resp_encodings_for_any_arguments():
    rng = random.Random(3)
    for _ in range(2000):
        argv = [
            rng.randbytes(rng.choice([0, 1, 9, 10, 99, 100, 9999, 10000, 123456])) for _ in range(rng.randint(1, 12))
        ]
        assert command_length(argv) == len(encode_command(argv))


@pytest.mark.parametrize("argv", [[], [b"SET", None], [b"SET", 1], [b"SET", [b"nested"]]])
def test_what_no_master_sends_is_a_link_error(argv):
    with pytest.raises(LinkError):
        command_length(argv)
