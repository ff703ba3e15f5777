"""Reads from PostgreSQL streaming replicas, writes to the primary (docs/scaling.md).

DATABASE_REPLICA_URLS (archive/settings.py) makes each replica a database alias,
"replica_1", "replica_2", ..., and installs both classes below:

PrimaryReplicaRouter
    Writes and migrations go to "default", the primary. Reads go to a replica only where
    ReplicaReadsMiddleware allows it: in a web request that is not pinned to the primary.
    Everything else (management commands, relink jobs, a shell, the tests) reads the
    primary, since it reads back what it has just written. A request reads one replica,
    chosen at random when it first reads, so all of its statements see the same moment;
    once it writes, or while a transaction is open on the primary, it reads the primary.

ReplicaReadsMiddleware
    Pins to the primary, for reading: every admin request, every request with a method that
    writes (POST, PUT, PATCH, DELETE), and then, for REPLICA_PIN_SECONDS, every request of
    the client that made one (a signed, timestamped cookie), so an editor who just saved
    reads what they saved while the replicas catch up. The same goes for a request that
    writes through the ORM whatever its method.
"""

import contextlib
import random
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.cache import patch_cache_control

from .middleware import is_admin

REPLICA_PREFIX = "replica_"
PIN_COOKIE = "pin_primary"
PIN_SALT = "archive.routers.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


@dataclass
class Reads:
    """Where the reads of one request (or one replica_reads() block) go."""

    replica: bool  # may they go to a replica at all
    alias: str | None = None  # the replica chosen at the first read
    wrote: bool = False  # something was written: read the primary from now on


_reads: ContextVar[Reads | None] = ContextVar("archive_reads", default=None)


def replica_aliases() -> list[str]:
    """The configured replicas' aliases, replica_1 first."""
    return sorted(
        (alias for alias in settings.DATABASES if alias.startswith(REPLICA_PREFIX)),
        key=lambda alias: (len(alias), alias),
    )


def pin_seconds() -> int:
    return int(getattr(settings, "REPLICA_PIN_SECONDS", 10))


@contextlib.contextmanager
def replica_reads(allowed: bool = True):
    """Reads in this block may go to a replica, as an unpinned web request's do (or, with
    `allowed` False, must read the primary)."""
    token = _reads.set(Reads(replica=allowed))
    try:
        yield
    finally:
        _reads.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model, **hints):
        reads = _reads.get()
        if reads is None or not reads.replica or reads.wrote:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS  # a transaction on the primary reads its own writes
        if reads.alias is None:
            replicas = replica_aliases()
            if not replicas:
                return DEFAULT_DB_ALIAS
            reads.alias = random.choice(replicas)
        return reads.alias

    def db_for_write(self, model, **hints):
        reads = _reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same rows: objects read from any of them may be related.
        ours = {DEFAULT_DB_ALIAS, *replica_aliases()}
        if obj1._state.db in ours and obj2._state.db in ours:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # Replicas replay the primary's schema; they cannot be written.
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        writes = self.writes(request)
        reads = Reads(replica=not (writes or self.pinned(request)))
        token = _reads.set(reads)
        try:
            response = self.get_response(request)
        finally:
            _reads.reset(token)
        # Pinned after a write, or a request that may write and was answered (the admin, a
        # form): not after an unsafe method refused (405, 403), or anyone could keep their
        # reads off the replicas by sending a POST now and then.
        if reads.wrote or (writes and response.status_code < 400):
            # A response that sets the pin is this client's alone: never a shared cache's.
            patch_cache_control(response, private=True)
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response

    @staticmethod
    def writes(request) -> bool:
        """A request that writes, or may: any unsafe method, and the whole admin."""
        return request.method not in SAFE_METHODS or is_admin(request)

    @staticmethod
    def pinned(request) -> bool:
        """Did this client write less than REPLICA_PIN_SECONDS ago? (The signature holds
        the time it was set, so a client can neither forge nor extend it.)"""
        value = request.get_signed_cookie(
            PIN_COOKIE, default=None, salt=PIN_SALT, max_age=pin_seconds()
        )
        return value is not None
