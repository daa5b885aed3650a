"""The bottom layer: the project's data types, errors, clock and durations.

Every other layer may import from here (``storage`` included); this package imports nothing
of the project's own and nothing of aiogram, aiosqlite or aiohttp.
"""
