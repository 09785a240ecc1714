"""The webhook's HTTP contract, importable without aiogram: the API process loads the bot
(and aiogram's ~150 MB of Telegram types) only in webhook mode."""

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few KB (a 4096-character message, its entities, the message it
# replies to); this leaves room for the largest and refuses anything bigger with 413.
MAX_BODY_BYTES = 256 * 1024
MAX_NESTING = 64  # Telegram's updates nest about 10 deep; deeper JSON is refused with 400
