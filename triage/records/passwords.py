"""Password hashes: Argon2id at OWASP's parameters, older scrypt hashes still accepted and replaced on sign-in.

Argon2id is OWASP's first choice for password storage; its first recommended setting is 19 MiB of memory,
2 passes, 1 lane (about 40 ms here). Hashes are PHC strings (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``)
that carry their parameters, so :func:`needs_rehash` sees a hash made with older or weaker settings, and a
successful sign-in stores a fresh one. Hashes written before Argon2id (``scrypt$16384$8$1$salt$digest``)
still verify.

An unknown user's password is checked against :func:`dummy_hash`, so signing in as nobody costs what a wrong
password costs, and the answer's timing does not tell whether the user exists.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = ["dummy_hash", "hash_password", "needs_rehash", "verify_password"]

# OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1
_HASHER = PasswordHasher(
    time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32, salt_len=16, type=Type.ID
)


def hash_password(password: str) -> str:
    """A salted Argon2id hash of ``password`` (a PHC string carrying its parameters)."""
    return _HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored`` (an Argon2id hash, or an older scrypt one); never raises."""
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made by another scheme or with other parameters than :func:`hash_password` uses."""
    if not stored.startswith("$argon2"):
        return True
    try:
        return _HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


@functools.cache
def dummy_hash() -> str:
    """A current hash of a random password nobody knows (made once per process): what unknown users are checked
    against, so that check takes as long as a real one."""
    return hash_password(secrets.token_urlsafe(16))


def _verify_scrypt(password: str, stored: str) -> bool:
    """The scheme used before Argon2id: ``scrypt$N$r$p$salt-hex$digest-hex``."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest) // 2,
            maxmem=256 * 1024 * 1024,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)
