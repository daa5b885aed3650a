"""The editorial desk: admins and editors posting, editing and retracting news, managing
sources and channels, statistics and broadcasts, from Telegram. Its handlers live in
``handlers/`` behind a router-level admin filter."""
