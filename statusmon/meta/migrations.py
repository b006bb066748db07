"""Versioned schema migrations of the metadata database. Append only: never edit a released migration.

Statements within one migration are separated by ";" at the end of a line.
"""

MIGRATIONS: list[str] = [
    # 1: clients, admin credentials, sessions, read-only API tokens, global settings.
    """
    CREATE TABLE clients (
        id TEXT PRIMARY KEY,
        hostname TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        agent_version TEXT,
        last_seen INTEGER,
        last_sample TEXT,
        dropped_total INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE admin (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        password_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        id_hash TEXT PRIMARY KEY,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE api_tokens (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        token_hash TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('read')),
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        revoked_at INTEGER
    );
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )
    """,
    # 2: alerting (alerting/, api/alerts/): per-client and all-client rules, evaluation state, incident history,
    # the notification outbox, channel status and the worker's heartbeat.
    """
    CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id TEXT REFERENCES clients(id) ON DELETE CASCADE,
        metric_type TEXT NOT NULL,
        threshold REAL NOT NULL,
        duration_sec INTEGER NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('above', 'below')),
        mount TEXT,
        gpu INTEGER,
        enabled INTEGER NOT NULL DEFAULT 1,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    );
    CREATE INDEX alert_rules_client ON alert_rules (client_id);
    CREATE TABLE alert_state (
        rule_key TEXT NOT NULL,
        client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        series_key TEXT NOT NULL,
        metric_type TEXT NOT NULL,
        status TEXT NOT NULL,
        since INTEGER,
        last_ts INTEGER,
        value REAL,
        fired_at INTEGER,
        notified_at REAL,
        PRIMARY KEY (rule_key, client_id, series_key)
    ) WITHOUT ROWID;
    CREATE TABLE alert_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_key TEXT NOT NULL,
        rule_id INTEGER,
        client_id TEXT NOT NULL,
        hostname TEXT NOT NULL,
        metric_type TEXT NOT NULL,
        series_key TEXT NOT NULL,
        threshold REAL,
        direction TEXT,
        duration_sec INTEGER,
        value REAL,
        started_at INTEGER,
        fired_at INTEGER NOT NULL,
        resolved_at INTEGER,
        resolved_value REAL,
        resolution TEXT
    );
    CREATE INDEX alert_history_client ON alert_history (client_id, id);
    CREATE INDEX alert_history_open ON alert_history (rule_key, client_id, series_key) WHERE resolved_at IS NULL;
    CREATE TABLE alert_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        event TEXT NOT NULL,
        created_at REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at REAL NOT NULL,
        last_error TEXT,
        sent_at REAL,
        dropped_at REAL
    );
    CREATE INDEX alert_outbox_due ON alert_outbox (next_attempt_at) WHERE sent_at IS NULL AND dropped_at IS NULL;
    CREATE TABLE alert_channels (
        name TEXT PRIMARY KEY,
        url_hash TEXT,
        disabled_reason TEXT,
        disabled_at REAL,
        last_error TEXT,
        last_error_at REAL,
        last_sent_at REAL
    );
    CREATE TABLE alert_worker (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        pid INTEGER,
        started_at REAL,
        last_cycle_at REAL,
        last_cycle_ms REAL,
        last_error TEXT
    )
    """,
    # 3: silences (statusmon/meta/silences.py): an admin mutes a host, a rule or everything until a time. An
    # incident whose notification a silence withheld is marked in alert_history; alert_state remembers which
    # firing alerts are muted, so that the end of the silence is announced once, even across a restart.
    """
    CREATE TABLE alert_silences (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        scope TEXT NOT NULL CHECK (scope IN ('host', 'rule', 'all')),
        client_id TEXT REFERENCES clients(id) ON DELETE CASCADE,
        rule_id INTEGER REFERENCES alert_rules(id) ON DELETE CASCADE,
        starts_at REAL NOT NULL,
        ends_at REAL NOT NULL,
        comment TEXT NOT NULL,
        created_at REAL NOT NULL,
        ended_at REAL
    );
    CREATE INDEX alert_silences_ends ON alert_silences (ends_at);
    ALTER TABLE alert_history ADD COLUMN silenced INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE alert_state ADD COLUMN silenced INTEGER NOT NULL DEFAULT 0
    """,
    # 4: per-rule routing: the channels a rule notifies (a JSON list of channel names; NULL: the global default,
    # the alert_channels setting).
    """
    ALTER TABLE alert_rules ADD COLUMN channels TEXT
    """,
    # 5: agent updates (statusmon/meta/updates.py): the target version per channel with its rollout percentage,
    # and per host its channel, pin or hold and the last update attempt the agent reported.
    """
    CREATE TABLE update_channels (
        channel TEXT PRIMARY KEY CHECK (channel IN ('stable', 'canary')),
        version TEXT,
        rollout_percent INTEGER NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
        updated_at REAL
    );
    CREATE TABLE update_hosts (
        client_id TEXT PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
        channel TEXT NOT NULL DEFAULT 'stable' CHECK (channel IN ('stable', 'canary')),
        pin TEXT,
        hold INTEGER NOT NULL DEFAULT 0,
        target TEXT,
        asked_at REAL,
        attempt_version TEXT,
        attempt_result TEXT,
        attempt_detail TEXT,
        attempt_at REAL
    )
    """,
    # 6: rollup tiers (statusmon/store/downsampler.py): leases that let one process of several run a singleton
    # job (statusmon/meta/leases.py), and how far each tier has been built (statusmon/meta/rollup_progress.py).
    """
    CREATE TABLE leases (
        name TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        expires_at REAL NOT NULL
    );
    CREATE TABLE rollup_progress (
        tier TEXT PRIMARY KEY,
        done_until INTEGER NOT NULL
    )
    """,
    # 7: host labels (statusmon/meta/labels.py): key=value pairs per host, from the agent's config ("agent") and
    # set by an admin ("admin", whose value wins); and an alert rule's label selector (JSON object; NULL: none).
    """
    CREATE TABLE client_labels (
        client_id TEXT NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        source TEXT NOT NULL CHECK (source IN ('agent', 'admin')),
        label_key TEXT NOT NULL,
        label_value TEXT NOT NULL,
        PRIMARY KEY (client_id, source, label_key)
    );
    CREATE INDEX client_labels_pair ON client_labels (label_key, label_value);
    ALTER TABLE alert_rules ADD COLUMN selector TEXT
    """,
    # 8: the overview's part of each client's latest sample (statusmon/meta/overview.py), written with it, so that
    # GET /api/clients?fields=overview splices it in as stored (NULL until the client's next report: derived then).
    """
    ALTER TABLE clients ADD COLUMN overview_sample TEXT
    """,
    # 9: late samples' minutes (statusmon/meta/rollup_progress.py): the downsampler rebuilds the buckets of that
    # client and minute (and the hour and day holding it), instead of every client's buckets since the minute;
    # ``seq`` grows when the same minute is marked again, so a rebuild clears only what it saw.
    """
    CREATE TABLE rollup_late (
        client_id TEXT NOT NULL,
        minute INTEGER NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (client_id, minute)
    )
    """,
]
