"""Telegram updates from receipt to handling: receipt (polling or webhook) appends each
update to a durable inbox, one drainer per bot handles them chat by chat, and an update
leaves the inbox only once its handler's work is committed.

`bot.updates.inbox` needs only Redis (the API reads the inbox's depth without aiogram);
the other modules need aiogram.
"""
