"""Plain synchronous data: databases, values, expiry bookkeeping. No asyncio, no sockets, no RESP."""
