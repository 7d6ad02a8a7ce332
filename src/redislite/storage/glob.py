"""Redis's glob matching (stringmatchlen): `*`, `?`, `[abc]`, `[^a-c]`, `[a-]`, `\\` escapes.

Patterns are translated once to a compiled regular expression, which is what makes KEYS and SCAN MATCH
over a million keys fast; the translation follows stringmatchlen's rules, not fnmatch's.
"""

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def compile_glob(pattern: bytes) -> re.Pattern:
    out = []
    pos, end = 0, len(pattern)
    while pos < end:
        char = pattern[pos:pos + 1]
        if char == b"*":
            while pos + 1 < end and pattern[pos + 1] == 42:
                pos += 1
            out.append(b".*")
        elif char == b"?":
            out.append(b".")
        elif char == b"[":
            pos, regex_class = _bracket(pattern, pos + 1)
            out.append(regex_class)
        elif char == b"\\" and pos + 1 < end:
            pos += 1
            out.append(re.escape(pattern[pos:pos + 1]))
        else:
            out.append(re.escape(char))
        pos += 1
    return re.compile(b"".join(out) + b"\\Z", re.DOTALL)


def _bracket(pattern: bytes, pos: int) -> tuple[int, bytes]:
    """Translate a [...] class starting after '['; returns the index of its closing ']' and the regex."""
    end = len(pattern)
    negate = pos < end and pattern[pos] == 94  # ^
    if negate:
        pos += 1
    members = []
    while True:
        if pos >= end:
            pos -= 1  # an unclosed class ends with the pattern, as in stringmatchlen
            break
        char = pattern[pos]
        if char == 92 and pos + 1 < end:  # backslash: the next byte is literal
            pos += 1
            members.append(re.escape(pattern[pos:pos + 1]))
        elif char == 93:  # ]
            break
        elif pos + 2 < end and pattern[pos + 1] == 45:  # a-z (reversed ranges are swapped)
            low, high = sorted((char, pattern[pos + 2]))
            members.append(b"%s-%s" % (re.escape(bytes([low])), re.escape(bytes([high]))))
            pos += 2
        else:
            members.append(re.escape(pattern[pos:pos + 1]))
        pos += 1
    body = b"".join(members)
    if not body:
        return pos, b"[^\\x00-\\xff]" if not negate else b"[\\x00-\\xff]"
    return pos, b"[%s%s]" % (b"^" if negate else b"", body)


def glob_match(pattern: bytes, subject: bytes) -> bool:
    return compile_glob(pattern).match(subject) is not None
