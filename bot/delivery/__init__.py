"""Delivery: the outbox of planned messages, the rate-limited sender that drains it, cards,
digests, quiet hours and channel auto-posting. Builds on ``bot.telegram`` for rendering and
transport and on ``storage`` for the outbox."""
