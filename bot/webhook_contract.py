"""The webhook's HTTP contract, importable without aiogram: the API process loads the bot
(and aiogram's ~150 MB of Telegram types) only in webhook mode."""

PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
