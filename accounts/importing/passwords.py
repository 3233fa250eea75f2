"""One-time passwords of imported accounts: random, readable, valid, and hashed quickly but safely."""

import os
import secrets
from concurrent.futures import ThreadPoolExecutor

from django.contrib.auth.hashers import PBKDF2PasswordHasher, get_hasher, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from ..models import User

# One-time passwords: 12 characters from an alphabet without look-alikes (0/O, 1/l/I), in three groups.
_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# ~69 bits of randomness (12 characters of 55) make guessing hopeless whatever the hash cost: even at
# 10^10 PBKDF2 rounds a second, 5,000 rounds per guess leave half the space at ~10^7 years. So the first
# hash uses 5,000 rounds instead of Django's 1,000,000 (2,000 accounts in seconds instead of ~15 minutes);
# Django re-hashes with the full count at the first login, which must change the password anyway.
ONE_TIME_ITERATIONS = 5_000
HASH_THREADS = min(8, os.cpu_count() or 1)  # hashlib's PBKDF2 releases the GIL


def one_time_password(user=None):
    """A random, readable password that passes the project's validators."""
    while True:
        raw = "".join(secrets.choice(_ALPHABET) for _ in range(12))
        password = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _hash_one_time(password):
    hasher = get_hasher("default")
    if isinstance(hasher, PBKDF2PasswordHasher):
        return hasher.encode(password, hasher.salt(), iterations=ONE_TIME_ITERATIONS)
    return make_password(password)


def _one_time_passwords(rows):
    """{phone: (password, hash)} for every person without an account, hashed on several threads."""
    people = {}
    for row in rows:
        if row.user is None and row.phone not in people:
            people[row.phone] = one_time_password(User(username=row.login, full_name=row.name))
    with ThreadPoolExecutor(max_workers=HASH_THREADS) as pool:
        hashes = pool.map(_hash_one_time, people.values())
        return {
            phone: (password, hashed)
            for (phone, password), hashed in zip(people.items(), hashes, strict=True)
        }
