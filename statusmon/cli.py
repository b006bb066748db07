"""`statusmon`: one command for every component. Each subcommand imports only what it needs, so an agent-only
install (no Flask, no gevent) runs `statusmon agent` fine."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from statusmon import __version__

if TYPE_CHECKING:
    from statusmon.config import Settings
    from statusmon.meta.db import MetaDB


def _meta() -> tuple[Settings, MetaDB]:
    from statusmon.config import Settings
    from statusmon.meta.db import open_meta

    settings = Settings.from_env()
    return settings, open_meta(settings.meta_target)


def cmd_server(args: argparse.Namespace) -> int:
    from api.server import run

    return run(bind=args.bind, workers=args.workers)


def cmd_client(args: argparse.Namespace) -> int:
    from statusmon.meta.clients import ClientRegistry, DuplicateHostname, InvalidHostname

    settings, db = _meta()
    registry = ClientRegistry(db)
    if args.action == "add":
        try:
            client, token = registry.add(args.hostname)
        except (InvalidHostname, DuplicateHostname) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"client id: {client.id}\ntoken:     {token}\n(the token is shown only now; it is stored as a hash)")
        return 0
    if args.action == "list":
        clients = registry.list()
        if args.json:
            print(json.dumps([c.as_dict(time.time(), 60) for c in clients], indent=2))
        else:
            print(f"{'ID':14} {'HOSTNAME':30} {'AGENT':10} LAST SEEN")
            for c in clients:
                seen = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(c.last_seen)) if c.last_seen else "never"
                print(f"{c.id:14} {c.hostname:30} {c.agent_version or '-':10} {seen}")
        return 0
    if args.action == "remove":
        from statusmon.store import open_store

        if registry.get(args.id) is None:
            print(f"error: no client {args.id}", file=sys.stderr)
            return 1
        store = open_store(settings)
        store.delete_client(args.id)
        registry.remove(args.id)
        print(f"removed {args.id} and its data")
        return 0
    if args.action == "rotate-token":
        new_token = registry.rotate_token(args.id)
        if new_token is None:
            print(f"error: no client {args.id}", file=sys.stderr)
            return 1
        print(f"new token: {new_token}\n(the old token stops working now)")
        return 0
    return 2


def cmd_admin(args: argparse.Namespace) -> int:
    from statusmon.meta.admin import AdminAuth, WeakPassword

    settings, db = _meta()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else ""
    if not password:
        password = getpass.getpass("new admin password: ")
        if getpass.getpass("again: ") != password:
            print("error: the passwords differ", file=sys.stderr)
            return 2
    try:
        AdminAuth(db, settings.session_hours * 3600).set_password(password)
    except WeakPassword as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("admin password set; existing sessions were logged out")
    return 0


CREDENTIAL_KINDS = (
    "There are two kinds of token. API tokens (this command) are read-only: they open the GET routes and the "
    "Grafana API, never a change. Agent tokens belong to one client each and only post reports: "
    "'statusmon client add' prints one, 'statusmon client rotate-token ID' replaces it. Changes need the admin "
    "session (the dashboard's login).")


def cmd_token(args: argparse.Namespace) -> int:
    from statusmon.meta.api_tokens import ApiTokens

    _, db = _meta()
    tokens = ApiTokens(db)
    if args.action == "create":
        try:
            token, secret = tokens.create(args.name, "read")
        except ValueError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        print(f"read-only token {token.name!r}: {secret}\n(shown only now; send it as 'Authorization: Bearer ...')")
        return 0
    if args.action == "list":
        for t in tokens.list():
            state = "revoked" if t.revoked_at else "active"
            print(f"{t.id:18} {t.name:24} {t.scope:5} {state}")
        return 0
    if args.action == "revoke":
        if not tokens.revoke(args.name):
            print(f"error: no active token {args.name!r}", file=sys.stderr)
            return 1
        print(f"revoked {args.name}")
        return 0
    return 2


def cmd_migrate(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from statusmon.meta.clients import ClientRegistry
    from statusmon.store.base import TimeSeriesStore
    from statusmon.store.influx import InfluxStore
    from statusmon.store.migrate import Checkpoints, migrate
    from statusmon.store.sqlite import SQLiteStore

    settings, db = _meta()
    if not settings.influx_url:
        print("error: set STATUSMON_INFLUX_URL (and _DB, _TOKEN or _USER/_PASSWORD) to the InfluxDB to copy "
              "to or from", file=sys.stderr)
        return 2
    influx = InfluxStore.from_settings(settings)
    influx.ensure_database()
    sqlite = SQLiteStore(settings.sqlite_ts_path)
    source, target = (sqlite, influx) if args.to == "influxdb" else (influx, sqlite)
    state = Path(args.state) if args.state else settings.data_dir / f"migrate-to-{args.to}.json"
    end = int(time.time()) + 1
    checkpoints = Checkpoints.load(state, end - args.days * 86400, end)
    clients = [(c.id, c.hostname) for c in ClientRegistry(db).list()]
    print(f"copying {len(clients)} clients from {source.describe()} to {target.describe()}, "
          f"{checkpoints.start}..{checkpoints.end}, checkpoints in {state}", file=sys.stderr)
    stores: list[TimeSeriesStore] = [source, target]
    try:
        results = migrate(source, target, clients, checkpoints, window=args.window)
    finally:
        for st in stores:
            st.close()
    print(f"{'client':18} {'host':24} {'this run':>10} {'copied':>10} {'source':>10} {'target':>10}")
    for r in results:
        print(f"{r.client_id:18} {r.hostname:24} {r.this_run:>10} {r.copied:>10} {r.source:>10} {r.target:>10}"
              f"{'' if r.ok else '  MISMATCH'}")
    bad = [r for r in results if not r.ok]
    if bad:
        print(f"error: {len(bad)} client(s) differ; run again to resume and recount", file=sys.stderr)
        return 1
    print(f"done: {sum(r.source for r in results)} samples of {len(results)} clients, equal on both sides")
    return 0


def cmd_rollup(args: argparse.Namespace) -> int:
    from statusmon.meta.leases import MetaLease
    from statusmon.meta.rollup_progress import RollupProgress
    from statusmon.store import open_store
    from statusmon.store.downsampler import LEASE_NAME, Downsampler

    settings, db = _meta()
    store = open_store(settings)
    downsampler = Downsampler(store, RollupProgress(db), MetaLease(db, LEASE_NAME),
                              initial_lookback=settings.retention_days * 86400)
    try:
        while True:
            result = downsampler.run_once()
            if not result.ran:
                print("another process holds the downsampler's lease; nothing done", file=sys.stderr)
            else:
                print(f"rollup: {result.rows.get('minute', 0)} minute, {result.rows.get('hour', 0)} hour and "
                      f"{result.rows.get('day', 0)} day buckets in {result.seconds:.2f} s; built until minute "
                      f"{result.done_until.get('minute')}, hour {result.done_until.get('hour')}, "
                      f"day {result.done_until.get('day')}")
            if args.once:
                return 0 if result.ran else 1
            time.sleep(60)
    finally:
        store.close()


def cmd_agent(args: argparse.Namespace, rest: list[str]) -> int:
    from agent.main import run

    return run(rest)


def cmd_alerting(args: argparse.Namespace, rest: list[str]) -> int:
    from alerting.main import run

    return run(rest)


def cmd_release(args: argparse.Namespace) -> int:
    """keygen, build, publish and timestamp: the release side of agent updates (README, "Agent updates")."""
    from pathlib import Path

    from statusmon.release import build, keys
    from statusmon.release.repository import Artifact, Repository

    if args.action == "keygen":
        try:
            ids = keys.keygen(Path(args.keydir))
        except keys.KeyError_ as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        for role, keyid in ids.items():
            print(f"{role:10} {keyid}")
        print(f"keys in {args.keydir}: keep root.pem and targets.pem offline (README, 'Agent updates')")
        return 0
    if args.action == "build":
        source = Path(args.source)
        pythons = args.python or build.python_versions(source / "setup.cfg")
        machines = args.machine or list(build.MACHINES)
        try:
            built = build.build(source, Path(args.out), pythons, machines)
        except build.BuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        for a in built:
            print(a.path)
        return 0
    repo = Repository(Path(args.repo), Path(args.keys))
    if args.action == "publish":
        artifacts = []
        for path in map(Path, args.archives):
            meta = build.read_release(path)
            artifacts.append(Artifact(path, meta["version"], meta["python"], meta["machine"]))
        try:
            version = repo.publish(artifacts)
        except (ValueError, keys.KeyError_) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"published {len(artifacts)} archive(s); targets version {version}")
        return 0
    if args.action == "timestamp":
        print(f"timestamp version {repo.resign_online()}")
        return 0
    if args.action == "rotate":
        try:
            version = repo.rotate(args.role)
        except (ValueError, keys.KeyError_) as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        print(f"{args.role} key replaced; root version {version} (old key kept as {args.role}.pem.{version - 1})")
        return 0
    return 2


def cmd_meta(args: argparse.Namespace) -> int:
    from statusmon.config import Settings
    from statusmon.meta.copy import TargetNotEmpty, copy_meta
    from statusmon.meta.db import MetaDB, open_meta

    settings = Settings.from_env()
    if not settings.database_url:
        print("error: set STATUSMON_DATABASE_URL to the PostgreSQL database to copy into", file=sys.stderr)
        return 2
    if not settings.meta_db_path.exists():
        print(f"error: no SQLite metadata at {settings.meta_db_path} (STATUSMON_DATA_DIR)", file=sys.stderr)
        return 2
    source, target = MetaDB(settings.meta_db_path), open_meta(settings.database_url)
    try:
        copied = copy_meta(source, target)
    except (TargetNotEmpty, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    for table, n in copied.items():
        print(f"{table}: {n} rows")
    print(f"copied {settings.meta_db_path} into {target.describe()}", file=sys.stderr)
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="statusmon", description="Status Monitor: monitoring for Linux and GPU fleets")
    p.add_argument("--version", action="version", version=f"statusmon {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("server", help="run the API and dashboard (gunicorn + gevent)")
    s.add_argument("--bind", help="HOST:PORT (default 127.0.0.1:8080 or STATUSMON_BIND)")
    s.add_argument("--workers", type=int, default=1,
                   help="gevent worker processes (default 1; more need STATUSMON_REDIS_URL and InfluxDB)")
    s.set_defaults(func=cmd_server)

    c = sub.add_parser("client", help="manage monitored hosts and their agent tokens")
    csub = c.add_subparsers(dest="action", required=True)
    csub.add_parser("add", help="add a host; prints its token once").add_argument("hostname")
    lst = csub.add_parser("list", help="list hosts")
    lst.add_argument("--json", action="store_true")
    csub.add_parser("remove", help="remove a host and all its data").add_argument("id")
    csub.add_parser("rotate-token", help="issue a new token; the old one stops working").add_argument("id")
    c.set_defaults(func=cmd_client)

    a = sub.add_parser("admin", help="admin credentials")
    asub = a.add_subparsers(dest="action", required=True)
    sp = asub.add_parser("set-password", help="set the dashboard's admin password")
    sp.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.set_defaults(func=cmd_admin)

    t = sub.add_parser("token", help="read-only API tokens (for Grafana)", description=CREDENTIAL_KINDS)
    tsub = t.add_subparsers(dest="action", required=True)
    tc = tsub.add_parser("create", help="create a read-only API token; prints it once", description=CREDENTIAL_KINDS)
    # Every API token is read-only, so a flag choosing that chose nothing: it is gone from the help, and still
    # accepted (doing nothing) so that scripts written against it keep working.
    tc.add_argument("--read-only", action="store_true", help=argparse.SUPPRESS)
    tc.add_argument("name")
    tsub.add_parser("list", help="list tokens")
    tsub.add_parser("revoke", help="revoke a token by id or name").add_argument("name")
    t.set_defaults(func=cmd_token)

    m = sub.add_parser("migrate", help="copy every client's history between SQLite and InfluxDB",
                       description="Copies every client's samples from the SQLite file to the InfluxDB of "
                       "STATUSMON_INFLUX_* (--to influxdb) or back (--to sqlite), in windows, resumable (a "
                       "checkpoint per client in the state file) and idempotent; the server may keep running.")
    m.add_argument("--to", required=True, choices=("influxdb", "sqlite"))
    m.add_argument("--days", type=int, default=8, help="how far back to copy (default 8: the 7-day history)")
    m.add_argument("--window", type=int, default=3600, help="seconds of one client per batch (default 3600)")
    m.add_argument("--state", help="checkpoint file (default DATA_DIR/migrate-to-TARGET.json)")
    m.set_defaults(func=cmd_migrate)
    md = sub.add_parser("meta", help="the metadata database: copy it from SQLite to PostgreSQL")
    mdsub = md.add_subparsers(dest="action", required=True)
    mdsub.add_parser("copy-to-postgresql", help="copy DATA_DIR/meta.db into the empty STATUSMON_DATABASE_URL",
                     description="Copies every table of the SQLite metadata (DATA_DIR/meta.db) into the PostgreSQL "
                     "database of STATUSMON_DATABASE_URL in one transaction; refuses a database already holding "
                     "metadata. Stop the server and the alerting worker first.")
    md.set_defaults(func=cmd_meta)
    ro_ = sub.add_parser("rollup", help="build the minute, hour and day history tiers (the API does it every minute)")
    ro_.add_argument("--once", action="store_true", help="one catch-up pass, then exit (1: another holds the lease)")
    ro_.set_defaults(func=cmd_rollup)
    r = sub.add_parser("release", help="signed agent releases: keygen, build, publish, timestamp, rotate")
    rsub = r.add_subparsers(dest="action", required=True)
    rsub.add_parser("keygen", help="create an Ed25519 key per TUF role").add_argument("keydir")
    rb = rsub.add_parser("build", help="wheelhouse archives of the agent, one per Python and machine")
    rb.add_argument("--source", default=".", help="the checkout to build (default: .)")
    rb.add_argument("--out", default="dist/agent", help="where the archives go (default: dist/agent)")
    rb.add_argument("--python", action="append", help="3.N (repeatable; default: every one setup.cfg allows)")
    rb.add_argument("--machine", action="append", choices=build_machines(),
                    help="repeatable; default: x86_64 and aarch64")
    rp = rsub.add_parser("publish", help="add archives to the TUF repository and sign the metadata")
    rp.add_argument("--repo", required=True, help="the repository directory (served at /updates/)")
    rp.add_argument("--keys", required=True, help="the key directory (needs targets, snapshot, timestamp)")
    rp.add_argument("archives", nargs="+")
    rt = rsub.add_parser("timestamp", help="re-sign snapshot and timestamp (run daily where those keys are)")
    rt.add_argument("--repo", required=True)
    rt.add_argument("--keys", required=True)
    ro = rsub.add_parser("rotate", help="replace one role's key (signs a new root version)")
    ro.add_argument("--repo", required=True)
    ro.add_argument("--keys", required=True, help="needs root.pem (and the role's key is replaced there)")
    ro.add_argument("role", choices=("root", "targets", "snapshot", "timestamp"))
    r.set_defaults(func=cmd_release)

    ag = sub.add_parser("agent", help="run the agent (options: statusmon agent --help)", add_help=False)
    ag.set_defaults(func=cmd_agent, passthrough=True)
    al = sub.add_parser("alerting", help="run the alerting worker (options: statusmon alerting --help)",
                        add_help=False)
    al.set_defaults(func=cmd_alerting, passthrough=True)
    return p


def build_machines() -> tuple[str, ...]:
    return ("x86_64", "aarch64")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    args, rest = parser.parse_known_args(argv)
    try:
        if getattr(args, "passthrough", False):
            return int(args.func(args, rest))
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        return int(args.func(args))
    except Exception as e:
        from statusmon.config import ConfigError
        from statusmon.meta.db import MetaUnavailable

        if isinstance(e, ConfigError):
            print(f"configuration error: {e}", file=sys.stderr)
            return 2
        if isinstance(e, MetaUnavailable):  # PostgreSQL down or unreachable at start: no traceback, exit 1
            print(f"metadata database unavailable: {e}", file=sys.stderr)
            return 1
        raise


if __name__ == "__main__":
    sys.exit(main())
