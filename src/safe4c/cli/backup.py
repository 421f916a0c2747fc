"""`safe4c backup DEST` and `safe4c restore SRC`: the database and, never silently apart from it, its key.

A backup is a folder (0700): the data file (SQLite copy or ``pg_dump -Fc``) and ``manifest.json`` (revision,
rows per table, SHA-256 of the data file, and the fingerprint of the key that sealed the data). The key itself
is never put in that folder (a stolen backup would carry its own key): ``--key-to FILE`` writes it to a file
of its own, to keep on other media, or ``--no-key`` says it is kept elsewhere (e.g. SAFE4C_SECRET_KEY in a
secret store). Without one of the two the backup is refused. A restore checks the key it is given against
the backup's fingerprint before it changes anything. docs/operations.md describes both.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

from safe4c.cli.common import engine as engine_for

FORMAT = "safe4c-backup 1"
MANIFEST = "manifest.json"


def _fail(message: str, code: int = 1) -> int:
    print(f"safe4c: {message}", file=sys.stderr)
    return code


def cmd_backup(args, settings) -> int:
    from safe4c.db import backup
    from safe4c.kernel.keys import KeyProblem, fingerprint, open_secret, short

    if not args.key_to and not args.no_key:
        return _fail("say where the secret key goes: --key-to FILE (a copy of the key, to keep apart from the "
                     "backup) or --no-key (you keep the key elsewhere, e.g. SAFE4C_SECRET_KEY in a secret store). "
                     "Sealed data cannot be read without it.", 2)
    dest = Path(args.dest)
    key_file = Path(args.key_to).resolve() if args.key_to else None
    if key_file is not None and (key_file == dest.resolve() or dest.resolve() in key_file.parents):
        return _fail("--key-to must be outside the backup folder: a backup that holds its own key is readable by "
                     "whoever gets it", 2)
    if key_file is not None and key_file.exists():
        return _fail(f"{key_file} already exists: choose a new file for the key", 2)
    if dest.exists() and any(dest.iterdir()):
        return _fail(f"{dest} is not empty: back up into a new folder", 2)
    engine = engine_for(settings)
    secret = None
    if key_file is not None:
        try:
            secret = open_secret(settings, engine)
        except KeyProblem as problem:
            return _fail(f"cannot copy the key: {problem}")
    dest.mkdir(mode=0o700, parents=True, exist_ok=True)
    dest.chmod(0o700)
    kind = "sqlite" if engine.dialect.name == "sqlite" else "postgresql"
    data = dest / backup.DATA_FILES[kind]
    try:
        snap = backup.backup_sqlite(engine, data) if kind == "sqlite" else backup.backup_postgres(engine, data)
    except backup.BackupError as exc:
        data.unlink(missing_ok=True)
        return _fail(f"backup failed: {exc}")
    fp = snap.fingerprint or (fingerprint(secret) if secret else None)
    if key_file is not None:
        backup.write_private(key_file, secret + b"\n")
    manifest = {
        "format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "backend": kind, "schema": snap.schema, "revision": snap.revision, "file": data.name,
        "sha256": backup.sha256_of(data), "tables": snap.tables, "key_fingerprint": fp,
        "key": "copied to a separate file (--key-to)" if key_file else "not copied: kept elsewhere (--no-key)",
    }
    backup.write_private(dest / MANIFEST, (json.dumps(manifest, indent=2) + "\n").encode())
    rows = sum(snap.tables.values())
    print(f"backed up {rows:,} rows in {len(snap.tables)} tables to {dest} ({kind}, revision {snap.revision})")
    print(f"key fingerprint {short(fp) if fp else 'none recorded'}: the data opens only with this key")
    if key_file is not None:
        print(f"key copied to {key_file}: keep it apart from the backup (other media, a safe), never beside it")
    else:
        print("the key was not copied (--no-key): make sure the key with this fingerprint is kept safe elsewhere")
    return 0


def cmd_restore(args, settings) -> int:
    from safe4c.db import backup
    from safe4c.kernel.keys import KeyProblem, fingerprint, short

    src = Path(args.src)
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError):
        return _fail(f"{src} is not a safe4c backup (no readable {MANIFEST})", 2)
    if manifest.get("format") != FORMAT:
        return _fail(f"{src} is a backup in a format this version does not know ({manifest.get('format')!r})", 2)
    data = src / manifest["file"]
    if not data.exists() or backup.sha256_of(data) != manifest["sha256"]:
        return _fail(f"{data} is missing or damaged (its SHA-256 is not the one in {MANIFEST}); nothing was changed")
    problem = _known_revision(manifest.get("revision"))
    if problem:
        return _fail(problem)
    try:
        secret, source = _restore_key(args, settings)
    except KeyProblem as exc:
        return _fail(str(exc))
    expected = manifest.get("key_fingerprint")
    if expected and fingerprint(secret) != expected:
        return _fail(f"the key from {source} (fingerprint {short(fingerprint(secret))}) did not seal this backup "
                     f"(fingerprint {short(expected)}): give the backup's key with --key-from FILE; nothing was changed")

    engine = engine_for(settings)
    if (engine.dialect.name == "sqlite") != (manifest["backend"] == "sqlite"):
        return _fail(f"this backup is of {manifest['backend']} and SAFE4C_DATABASE_URL names "
                     f"{engine.dialect.name}: restore into the same kind of database", 2)
    if not args.replace and _holds_data(engine):
        return _fail("the database named by SAFE4C_DATABASE_URL already holds data: stop safe4c (serve, workers) "
                     "and add --replace to overwrite it", 2)
    try:
        if manifest["backend"] == "sqlite":
            backup.restore_sqlite(data, engine)
        else:
            backup.restore_postgres(data, engine, schema=manifest["schema"], replace=args.replace)
    except backup.BackupError as exc:
        return _fail(f"restore failed: {exc}")
    if args.key_from and not settings.secret_key:
        _install_key(settings.secret_path, secret)
    return _check_restored(settings, manifest, expected or fingerprint(secret))


def _restore_key(args, settings) -> tuple[bytes, str]:
    """The key the restored data will be opened with, and where it came from."""
    from safe4c.kernel.settings import read_secret_file
    from safe4c.kernel.keys import KeyProblem

    if args.key_from:
        secret = read_secret_file(Path(args.key_from))
        if settings.secret_key and settings.secret_key.encode() != secret:
            raise KeyProblem("key_mismatch", "SAFE4C_SECRET_KEY is set to another key than --key-from: set it to "
                                             "the backup's key (or unset it); nothing was changed")
        return secret, args.key_from
    if settings.secret_key:
        return settings.secret_key.encode(), "SAFE4C_SECRET_KEY"
    if settings.secret_path.exists():
        return read_secret_file(settings.secret_path), str(settings.secret_path)
    raise KeyProblem("key_missing", "no key to open the backup's data: give the key file written by `safe4c backup "
                                    "--key-to` with --key-from FILE (or set SAFE4C_SECRET_KEY); nothing was changed")


def _holds_data(engine) -> bool:
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in ("alembic_version", "key_fingerprints")]
        return any(conn.scalar(text(f'SELECT EXISTS (SELECT 1 FROM "{n}")')) for n in names)


def _known_revision(revision: str | None) -> str | None:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    from safe4c.db.migrate import alembic_config

    if revision is None:
        return None
    try:
        found = ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        return (f"the backup is at revision {revision!r}, which this version of safe4c does not know (a newer "
                "version made it): restore it with that version; nothing was changed")
    return None


def _install_key(path: Path, secret: bytes) -> None:
    """The backup's key becomes DATA_DIR/secret.key; a different key already there is kept aside, not lost."""
    from safe4c.db.backup import write_private

    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        if path.read_bytes().strip() == secret.strip():
            return
        aside = path.with_name(f"{path.name}.before-restore-{datetime.now(timezone.utc):%Y%m%dT%H%M%SZ}")
        path.rename(aside)
        print(f"the key that was in {path} is kept as {aside}")
    write_private(path, secret + b"\n")


def _check_restored(settings, manifest: dict, expected: str) -> int:
    from sqlalchemy import inspect, text

    from safe4c.kernel.settings import Settings
    from safe4c.db.migrate import head_revision
    from safe4c.kernel.keys import KeyProblem, open_secret, short

    engine = engine_for(settings)
    try:
        open_secret(Settings(**settings.model_dump()), engine)  # settings read anew: the key file may be new
    except KeyProblem as problem:
        return _fail(f"restored, but the key does not open the data: {problem}")
    with engine.connect() as conn:
        counts = {n: conn.scalar(text(f'SELECT count(*) FROM "{n}"')) for n in inspect(conn).get_table_names()}
    differ = sorted(n for n, c in manifest["tables"].items() if counts.get(n) != c)
    if differ:
        return _fail(f"restored, but these tables do not hold the rows the backup counted: {', '.join(differ)}")
    print(f"restored {sum(counts.values()):,} rows in {len(counts)} tables (revision {manifest['revision']}); "
          f"key fingerprint {short(expected)}")
    if manifest["revision"] != head_revision():
        print("the backup is from an older version: run `safe4c db upgrade` before starting safe4c")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("backup", help="copy the database while it runs (SQLite online backup, pg_dump) into a folder")
    p.add_argument("dest", help="a new (or empty) folder for the backup")
    p.add_argument("--key-to", metavar="FILE", help="also copy the secret key to FILE (outside the backup folder)")
    p.add_argument("--no-key", action="store_true", help="do not copy the key: you keep it elsewhere")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="restore a backup made by `safe4c backup` (stop safe4c first)")
    p.add_argument("src", help="the backup folder")
    p.add_argument("--key-from", metavar="FILE", help="the key file written by `safe4c backup --key-to` (it "
                   "becomes DATA_DIR/secret.key unless SAFE4C_SECRET_KEY is set)")
    p.add_argument("--replace", action="store_true", help="overwrite a database that already holds data")
    p.set_defaults(func=cmd_restore)
