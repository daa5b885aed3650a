"""Ingest: sources and the sources file, fetching, feed and page parsing, drafting, the feed
schedule, and the ingest pass that stores what is new.

Talks to the web and to ``storage``; never to Telegram.
"""
