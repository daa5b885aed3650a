"""Services for readers: subscriptions and their caches, reading and searching the news, the
catalogue of regions, sections and topics. The subscriber handlers call these."""
