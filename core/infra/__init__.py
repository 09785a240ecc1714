"""Plumbing shared by the processes: Redis and other resources (`resources`), the job queue
(`queue`), the live events bus (`events_bus`) and rate limits (`ratelimit`). Settings and
domain errors stay at `core/` top level because every capability uses them.
"""
