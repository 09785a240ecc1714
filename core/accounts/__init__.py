"""People and their devices: users and their settings (`users`), linking a browser by
code (`pairing`), paired devices (`devices`), and a user's data taken out (`export`) or
forgotten (`erasure`).
"""
