"""Telegram transport and rendering, shared by ``handlers`` and the delivery sender.

The Bot API session and its retry middleware, receipts of sent messages, Telegram HTML text
nodes (:mod:`bot.telegram.formatting`), article rendering and the gettext catalogues
(:mod:`bot.telegram.i18n`). It builds on ``bot.domain`` only: no service, no storage.
"""
