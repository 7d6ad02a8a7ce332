"""The one call path: every command, whatever door it came through, runs through `Engine.execute`."""
