"""The bit-parallel LCS table gives the same cells as the textbook dynamic-programming table Redis builds."""

import random

from redislite.commands.strings import lcs_length, lcs_rows


def textbook_table(a: bytes, b: bytes) -> list[list[int]]:
    table = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            if a[i - 1] == b[j - 1]:
                table[i][j] = table[i - 1][j - 1] + 1
            else:
                table[i][j] = max(table[i - 1][j], table[i][j - 1])
    return table


def test_every_cell_of_the_bit_parallel_table_matches_the_textbook_table():
    rng = random.Random(5)
    for _ in range(200):
        a = bytes(rng.choice(b"abcd\x00\xff") for _ in range(rng.randrange(0, 40)))
        b = bytes(rng.choice(b"abcd\x00\xff") for _ in range(rng.randrange(0, 90)))
        expected = textbook_table(a, b)
        rows = lcs_rows(a, b)
        assert [[lcs_length(rows, i, j) for j in range(len(b) + 1)] for i in range(len(a) + 1)] == expected


def test_lcs_length_of_known_strings():
    rows = lcs_rows(b"ohmytext", b"mynewtext")
    assert lcs_length(rows, 8, 9) == 6
