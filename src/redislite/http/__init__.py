"""The HTTP API: FastAPI endpoints that run commands through Engine.execute, served by uvicorn in the
same event loop as the RESP server (`door.py`), or under `uvicorn api.index:app`."""
