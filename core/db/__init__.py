"""The database: engine and sessions (`engine`), the tables (`models`), batched writes
(`writer`), units of work run on the right thread (`units`) and schema migrations
(`migrate`, `migrations/`). Every other capability reads and writes through here.
"""
