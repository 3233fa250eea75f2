"""One-time passwords: readable, random, and accepted by every configured password validator."""

import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

# Plain English words (not the domain words accounts.validators refuses), easy to read out on the phone.
WORDS = (
    "Maple",
    "River",
    "Cedar",
    "Harbor",
    "Lantern",
    "Meadow",
    "Summit",
    "Willow",
    "Orchid",
    "Pebble",
    "Falcon",
    "Garden",
    "Island",
    "Jasmine",
    "Kettle",
    "Marble",
    "Nectar",
    "Pepper",
    "Silver",
    "Tiger",
)


def one_time_password(user=None):
    """Two words, four digits and hyphens (such as `Cedar-falcon-4821`), checked against the validators."""
    for _ in range(20):
        first, second = secrets.choice(WORDS), secrets.choice(WORDS)
        password = f"{first}-{second.lower()}-{secrets.randbelow(9000) + 1000}"
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise RuntimeError("no generated password passes the validators")  # pragma: no cover
