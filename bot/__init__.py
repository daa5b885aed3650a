"""regionews: regional industry news for Russia, delivered through Telegram.

Layers point one way: ``handlers`` (Telegram in, replies out) call the services in
``bot`` (ingest, tagging, subscriptions), which call ``storage`` (all SQL).
"""
