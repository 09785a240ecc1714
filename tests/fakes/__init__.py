"""HTTP fakes of the outside world, for tests.

- `tests.fakes.telegram.FakeTelegram`: the Telegram Bot API (also `python -m tests.fakes.telegram`).
- `tests.fakes.openai_stub.OpenAIStub`: an OpenAI-compatible chat completions server.
- `tests.fakes.fixtures`: the `fake_telegram` and `openai_stub` pytest fixtures.
"""
