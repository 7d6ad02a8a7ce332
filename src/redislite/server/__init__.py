"""The asyncio side: one Protocol per connection, the cron, start-up and shutdown."""
