"""Every inline button's payload. Prefixes are short: `callback_data` holds 64 bytes at most."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class FocusLength(CallbackData, prefix="fl"):
    """A session length picked in the `/focus` wizard; 0 means "type it"."""

    minutes: int


class ReviewOpen(CallbackData, prefix="ro"):
    """ "Review now" on a finished session."""

    session: int


class ReviewStep(CallbackData, prefix="rv"):
    """A button of the review form. The form is known by its message (one per session), so
    the payload names no session and a step's keyboard is the same for everyone."""

    action: str
    value: str = ""


class SettingsAction(CallbackData, prefix="st"):
    action: str
    value: str = ""


class HostCategory(CallbackData, prefix="hc"):
    """A host (by a short digest, hosts can be 253 bytes) and the category chosen for it."""

    digest: str
    category: str = ""


class DeviceRevoke(CallbackData, prefix="dv"):
    device: int


class ForgetConfirm(CallbackData, prefix="fg"):
    confirm: bool


class PairingConfirm(CallbackData, prefix="pc"):
    """**Link** or **Not me** under a browser that asks to be linked (the pairing's id in hex)."""

    pairing: str
    link: bool
