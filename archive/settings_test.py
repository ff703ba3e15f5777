"""The test suite's settings: the development settings (DEBUG=1 at import, so no TLS
redirect and a fixed key). Set in the environment, so every `manage.py` the tests start
(benchmark, equivalence snapshot, relink) inherits the same."""

import os

os.environ.setdefault("DEBUG", "1")

from .settings import *  # noqa: E402,F403

# Passwords hashed fast: the tests log in often, and the slow hasher costs seconds each.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No cache between requests: most tests change rows inside a transaction that never
# commits, so the archive's last change (the cache key) does not move and a kept value would
# be stale. Every page is therefore measured cold, its worst case; tests/test_server.py turns a
# real cache on to test state.remember() itself.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    "pages": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}
