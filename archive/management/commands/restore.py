"""`manage.py restore PATH --yes`: replace the database with a copy `manage.py backup` wrote.

The copy is checked before anything is replaced: it must be a database of this archive (its
django_migrations names archive migrations), none of them unknown to this code. The
replacement is all or nothing: SQLite's backup API writes the copy into the live database
in one write transaction (readers keep their snapshot until it commits); on PostgreSQL
pg_restore's script runs through psql in one transaction, so a failed or killed restore
leaves the database as it was. Afterwards the archive's time of last change (ArchiveState)
is set to now: the pages' validators must move forward, never back to the backup's time.

On PostgreSQL the materialized views are refreshed inside that transaction under the
database's own search_path: pg_restore refreshes them with an empty search_path, under which
the spelling vocabulary's query (ts_stat over an unqualified table name) cannot run.
"""

import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from .backup import (
    APP,
    PG_DUMP_HEADER,
    SQLITE_HEADER,
    check_tool_version,
    code_migrations,
    describe_pg,
    describe_size,
    last_line,
    pg_env,
    require_tool,
    sqlite_archive_migrations,
    sqlite_path,
    sqlite_timeout,
    vendor,
)

MATVIEW_DATA = re.compile(r"^\d+; \d+ \d+ MATERIALIZED VIEW DATA (\S+) (\S+) ")

# Before the script drops anything, its transaction takes every table at once. Taken one by
# one (as the DROPs would), a page's query holding one table and waiting for the next
# deadlocks with the restore. All-or-none, with a short lock_timeout and retries, it never
# holds some tables while waiting for others for long; pages then wait for the commit.
LOCK_EVERY_TABLE = """
SET LOCAL lock_timeout = '100ms';
DO $restore$
DECLARE
    tables text;
    deadline timestamptz := clock_timestamp() + interval '{wait} seconds';
BEGIN
    SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ' ORDER BY c.relname)
      INTO tables
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p');
    IF tables IS NULL THEN
        RETURN;
    END IF;
    LOOP
        BEGIN
            EXECUTE 'LOCK TABLE ' || tables || ' IN ACCESS EXCLUSIVE MODE';
            RETURN;
        EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
            IF clock_timestamp() > deadline THEN
                RAISE EXCEPTION 'the tables stayed busy for {wait} s (an import running?); '
                    'try again' USING ERRCODE = 'lock_not_available';
            END IF;
            PERFORM pg_sleep(0.01 + random() * 0.04);
        END;
    END LOOP;
END
$restore$;
SET LOCAL lock_timeout TO DEFAULT;
"""


def read_header(path: Path) -> bytes:
    if not path.exists():
        raise CommandError(f"{path}: no such file.")
    if not path.is_file():
        raise CommandError(f"{path}: not a file.")
    try:
        with open(path, "rb") as f:
            return f.read(16)
    except OSError as exc:
        raise CommandError(f"{path}: cannot be read ({exc.strerror}).") from None


def check_migrations(found: set[str], path: Path) -> str:
    """Refuse a copy made by newer code; say when the copy needs `migrate` after it."""
    ours = code_migrations()
    unknown = sorted(found - ours)
    if unknown:
        raise CommandError(
            f"{path}: made by a newer version of the archive (migrations {', '.join(unknown)} "
            "are unknown here); restore it with that version."
        )
    missing = len(ours - found)
    return f"; {missing} newer migrations to apply: run `manage.py migrate`" if missing else ""


# --- SQLite -----------------------------------------------------------------------------


def restore_sqlite(path: Path) -> str:
    if read_header(path) != SQLITE_HEADER:
        raise CommandError(f"{path}: not a SQLite database (nor a backup of one).")
    live = sqlite_path()
    if path.resolve() == live:
        raise CommandError(f"{path}: that is the live database itself.")
    src = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=ro", uri=True)
    try:
        try:
            check = src.execute("PRAGMA quick_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise CommandError(f"{path}: not a usable SQLite database ({exc}).") from None
        if check != "ok":
            raise CommandError(f"{path}: damaged ({check}); nothing was replaced.")
        note = check_migrations(sqlite_archive_migrations(src, path), path)
        dst = sqlite3.connect(live, timeout=sqlite_timeout())
        try:
            # One write transaction on the live database: readers see the old data until
            # it commits and the restored data after; a writer waits for it (busy timeout).
            src.backup(dst)
        except sqlite3.Error as exc:
            raise CommandError(f"Restore failed, nothing was replaced: {exc}") from None
        finally:
            dst.close()
    finally:
        src.close()
    return f"SQLite database {live}{note}"


# --- PostgreSQL -------------------------------------------------------------------------


def pg_archive_migrations(pg_restore: str, path: Path) -> set[str]:
    """The archive migrations recorded in a pg_dump archive (its django_migrations data)."""
    result = subprocess.run(
        [pg_restore, "--data-only", "--table=django_migrations", "--file=-", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise CommandError(f"{path}: not a readable pg_dump archive ({last_line(result.stderr)}).")
    names, copying = set(), False
    for line in result.stdout.splitlines():
        if line.startswith("COPY ") and "django_migrations" in line:
            copying = True
            columns = line[line.index("(") + 1 : line.index(")")].split(", ")
        elif copying and line == "\\.":
            copying = False
        elif copying:
            row = dict(zip(columns, line.split("\t"), strict=False))
            if row.get("app") == APP:
                names.add(row["name"])
    if not names:
        raise CommandError(f"{path}: not a backup of this archive (no archive migrations).")
    return names


def restore_list(pg_restore: str, path: Path) -> tuple[str, list[str]]:
    """pg_restore's table of contents with materialized views' data left out, and the
    REFRESH statements that replace it."""
    result = subprocess.run(
        [pg_restore, "--list", str(path)], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise CommandError(f"{path}: not a readable pg_dump archive ({last_line(result.stderr)}).")
    lines, refresh = [], []
    for line in result.stdout.splitlines():
        match = MATVIEW_DATA.match(line)
        if match:
            schema, name = match.groups()
            refresh.append(f'REFRESH MATERIALIZED VIEW "{schema}"."{name}";')
            line = ";" + line
        lines.append(line)
    return "\n".join(lines) + "\n", refresh


def restore_postgresql(path: Path, wait: int) -> str:
    if not read_header(path).startswith(PG_DUMP_HEADER):
        raise CommandError(f"{path}: not a pg_dump archive (custom format, as `backup` writes).")
    pg_restore, psql = require_tool("pg_restore"), require_tool("psql")
    # The file is checked before the server is asked anything.
    note = check_migrations(pg_archive_migrations(pg_restore, path), path)
    check_tool_version(pg_restore)
    toc, refresh = restore_list(pg_restore, path)
    env = pg_env()
    with tempfile.TemporaryDirectory() as tmp:
        listing = Path(tmp) / "toc.list"
        listing.write_text(toc, encoding="utf-8")
        with tempfile.TemporaryFile() as restore_err, tempfile.TemporaryFile() as psql_err:
            # pg_restore writes the script; psql runs it in one transaction that only the
            # COMMIT written after the script's last line ends. If pg_restore fails, or this
            # process is killed, psql reads end-of-file without it and the server rolls
            # everything back (psql's own --single-transaction would commit at end-of-file).
            apply = subprocess.Popen(
                [psql, "--no-psqlrc", "--quiet", "--no-password", "--set=ON_ERROR_STOP=1"]
                + ["--file=-"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=psql_err,
                env=env,
            )
            script = subprocess.Popen(
                [pg_restore, "--clean", "--if-exists", "--no-owner", f"--use-list={listing}"]
                + ["--file=-", str(path)],
                stdout=subprocess.PIPE,
                stderr=restore_err,
                env=env,
            )
            try:
                apply.stdin.write(b"BEGIN;\n" + LOCK_EVERY_TABLE.format(wait=wait).encode())
                while chunk := script.stdout.read(1 << 16):
                    apply.stdin.write(chunk)
                if script.wait() == 0:
                    # The database's own search_path (pg_restore set an empty one).
                    trailer = ["RESET search_path;", *refresh, "COMMIT;", ""]
                    apply.stdin.write("\n".join(trailer).encode())
                else:
                    apply.kill()
            except BrokenPipeError:
                pass  # psql stopped at an error; it says which below
            finally:
                try:
                    apply.stdin.close()
                except BrokenPipeError:
                    pass
                # Nobody reads pg_restore's output any more: closing our end makes a
                # pg_restore still writing (psql stopped at an error) fail at once on the
                # broken pipe, instead of blocking on a full pipe and this wait with it.
                script.stdout.close()
                script.wait()
                apply.wait()
            messages = []
            for f in (restore_err, psql_err):
                f.seek(0)
                messages.append(f.read().decode(errors="replace"))
    # pg_restore ended by the broken pipe (SIGPIPE) only because psql had stopped first:
    # psql's error is the one to report.
    if script.returncode not in (0, -signal.SIGPIPE):
        raise CommandError(f"pg_restore failed, nothing was replaced: {last_line(messages[0])}")
    if apply.returncode != 0 or script.returncode != 0:
        raise CommandError(f"Restore failed, nothing was replaced: {last_line(messages[1])}")
    return describe_pg() + note


def touch_state() -> str:
    """A restore changes what every page shows: record the change now, so no conditional
    request is answered 304 from the validators of the data it replaced (the restored
    ArchiveState row holds the backup's time, earlier than what browsers may have seen)."""
    from archive import state

    try:
        state.touch()
    except DatabaseError as exc:
        return f"; the time of the last change was not recorded ({exc})"
    finally:
        connection.close()
    return ""


class Command(BaseCommand):
    help = (
        "Replace the database with a copy `manage.py backup` wrote (checked first: it must "
        "be a backup of this archive). All or nothing. Asks for --yes, since every row is "
        "replaced."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to restore.")
        parser.add_argument(
            "--yes",
            "--noinput",
            "--no-input",
            action="store_true",
            dest="yes",
            help="Replace the data without asking.",
        )
        parser.add_argument(
            "--wait",
            type=int,
            default=60,
            metavar="SECONDS",
            help="PostgreSQL: how long to wait for the tables while writers hold them "
            "(default 60). SQLite waits until a running write (an import) has finished.",
        )

    def handle(self, *args, path, yes, wait, **options):
        source = Path(path).expanduser()
        read_header(source)  # a missing or unreadable path is refused before anything else
        kind = vendor()
        if not yes:
            question = (
                f"Replace every row of the {'SQLite' if kind == 'sqlite' else 'PostgreSQL'} "
                f"database with {source}? Type 'yes' to continue: "
            )
            if not sys.stdin.isatty():
                raise CommandError(
                    "restore replaces every row of the database: pass --yes (or --noinput)."
                )
            if input(question).strip().lower() != "yes":
                raise CommandError("Restore cancelled; nothing was replaced.")
        started = time.monotonic()
        if kind == "sqlite":
            what = restore_sqlite(source)
        else:
            what = restore_postgresql(source, wait)
        what += touch_state()
        size = describe_size(source.stat().st_size)
        self.stdout.write(
            f"Restored {what} from {source} ({size}, {time.monotonic() - started:.2f} s)."
        )
