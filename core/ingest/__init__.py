"""Browser events coming in: a batch checked and attached to sessions (`batch`), stored in
one unit of work (`store`) with the insert that makes resending harmless (`insert`).
"""
