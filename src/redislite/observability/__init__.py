"""Counters, slow log and latency monitor: plain objects read at INFO/scrape time."""
