"""How a replica reads its master's stream (replication/replica.py): the offset each command advances, and the
parser that takes over when the stream holds more than RESP commands."""

import random

import pytest

from redislite.protocol.encoder import encode_command
from redislite.replication.replica import LinkError, batch_length, command_length


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


def test_a_batchs_length_is_the_sum_of_its_commands_lengths():
    rng = random.Random(5)
    for _ in range(300):
        batch = [
            [rng.randbytes(rng.choice([0, 3, 10, 9999, 10000, 20000])) for _ in range(rng.randint(1, 5))]
            for _ in range(rng.randint(0, 30))
        ]
        assert batch_length(batch) == sum(len(encode_command(argv)) for argv in batch)
    with pytest.raises(LinkError):
        batch_length([[b"SET", b"k", b"v"], []])
