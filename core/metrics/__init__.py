"""Measured metrics of a session: pure computation over events (`compute`) and the batched
reads that feed it (`loader`).
"""
