"""The token-bucket arithmetic every rate limit shares, wherever its buckets are kept.

A bucket holds up to ``per_minute`` tokens and refills at ``per_minute`` a minute; a request takes
one. The in-process limiter (``search_api.limits.RateLimiter``), the file beside a SQLite
catalogue (``bucket_file``) and PostgreSQL's table (``rate_limits``, whose refill is the same rule
written in SQL) must agree to the token, or a client's limit would depend on which one the server
happens to use.
"""

from __future__ import annotations


def refilled(tokens: float, elapsed: float, per_minute: int) -> float:
    """A bucket's tokens ``elapsed`` seconds after it held ``tokens``: never past full, and never
    fewer because a clock stepped back (a negative ``elapsed`` counts as none)."""
    return min(float(per_minute), tokens + max(0.0, elapsed) * (per_minute / 60.0))


def seconds_to_token(tokens: float, per_minute: int) -> float:
    """0 with a token to take, else the seconds until the bucket holds one."""
    return 0.0 if tokens >= 1.0 else (1.0 - tokens) / (per_minute / 60.0)
