"""A fuzzer for RedisLite: seeded inputs (generator.py) run against a live server with an oracle (fuzzer.py).

`benchmarks/fuzz.py` runs it for long; `tests/integration/test_fuzz.py` runs a short fixed seed in CI.
"""
