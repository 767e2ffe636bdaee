"""Users, grants, wall tokens and the audit log, in a SQL database (SQLite in the data folder by default, or any
SQLAlchemy URL: ONESCREEN_USERS_URL). Passwords are hashed with argon2 (argon2-cffi); tokens are stored only as
their SHA-256. Nothing here logs a password, a token or a hash."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.engine import make_url

from dashboard.access import ROLES, Viewer

metadata = MetaData()
users = Table(
    "onescreen_user",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", DateTime, nullable=True),
    Column("created_at", DateTime, nullable=False),
)
grants = Table(
    "onescreen_grant",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("unit", String(12), primary_key=True),
)
tokens = Table(
    "onescreen_token",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("token_sha256", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("units", Text, nullable=False),  # JSON list; empty: every unit
    Column("expires_at", DateTime, nullable=False),
    Column("revoked", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
)
audit = Table(
    "onescreen_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime, nullable=False, index=True),
    Column("who", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("what", Text, nullable=False),
    Column("source", String(64), nullable=False),
    Column("scope", Text, nullable=False),
)

MIN_PASSWORD = 10
LOCK_AFTER = 5  # failed logins in a row
LOCK_MINUTES = 15
# argon2id with RFC 9106's low-memory parameters (argon2-cffi's default: 3 passes, 64 MiB, 4 lanes). The test
# suite lowers them for its own process only (tests/conftest.py): hashing strength is not what it tests.
HASH_PARAMETERS = profiles.RFC_9106_LOW_MEMORY


class UserError(Exception):
    """A user command that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class User:
    name: str
    role: str
    units: tuple[str, ...]
    disabled: bool
    locked_until: datetime | None


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class UserStore:
    """The users database."""

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(url, future=True)
        metadata.create_all(self.engine)
        self.hasher = PasswordHasher.from_parameters(HASH_PARAMETERS)

    def dispose(self) -> None:
        self.engine.dispose()

    # --- users ---------------------------------------------------------------------------------------------------

    def add(self, name: str, role: str, password: str, units=(), now: datetime | None = None) -> None:
        """Create a user; a manager needs at least one unit."""
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
        if not name or len(name) > 64 or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
            raise UserError("a name is 1-64 letters, digits, '.', '_' or '-'")
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.name).where(users.c.name == name)).first():
                raise UserError(f"user {name!r} exists")
            conn.execute(insert(users).values(name=name, password_hash=self.hasher.hash(password), role=role,
                                              disabled=False, failed_logins=0, created_at=now or datetime.now()))
            for unit in units:
                conn.execute(insert(grants).values(name=name, unit=unit))

    def get(self, name: str) -> User | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
            if row is None:
                return None
            units = tuple(sorted(r[0] for r in conn.execute(select(grants.c.unit).where(grants.c.name == name))))
        return User(row["name"], row["role"], units, bool(row["disabled"]), row["locked_until"])

    def list(self) -> list[User]:
        with self.engine.connect() as conn:
            names = [r[0] for r in conn.execute(select(users.c.name).order_by(users.c.name))]
        return [self.get(n) for n in names]

    def _set(self, name: str, **values) -> None:
        with self.engine.begin() as conn:
            if conn.execute(update(users).where(users.c.name == name).values(**values)).rowcount == 0:
                raise UserError(f"no user {name!r}")

    def disable(self, name: str) -> None:
        self._set(name, disabled=True)

    def enable(self, name: str) -> None:
        self._set(name, disabled=False, failed_logins=0, locked_until=None)

    def set_role(self, name: str, role: str) -> None:
        if role not in ROLES:
            raise UserError(f"role must be one of {', '.join(ROLES)}")
        self._set(name, role=role)

    def set_password(self, name: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise UserError(f"the password needs at least {MIN_PASSWORD} characters")
        self._set(name, password_hash=self.hasher.hash(password))

    def grant(self, name: str, units) -> None:
        if self.get(name) is None:
            raise UserError(f"no user {name!r}")
        with self.engine.begin() as conn:
            have = {r[0] for r in conn.execute(select(grants.c.unit).where(grants.c.name == name))}
            for unit in set(units) - have:
                conn.execute(insert(grants).values(name=name, unit=unit))

    def revoke(self, name: str, units) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(grants).where(grants.c.name == name, grants.c.unit.in_(list(units))))

    def viewer(self, name: str) -> Viewer | None:
        """The viewer a session names, as the database says now (a disabled user, or one gone, is None)."""
        user = self.get(name)
        if user is None or user.disabled:
            return None
        return Viewer(user.name, user.role, frozenset(user.units))

    def authenticate(self, name: str, password: str, now: datetime) -> tuple[Viewer | None, str]:
        """(viewer, '') on success; (None, reason) with reason 'unknown', 'disabled', 'locked' or 'password'. After
        LOCK_AFTER failures in a row the account is locked for LOCK_MINUTES."""
        with self.engine.begin() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
            if row is None:
                self.hasher.hash(password)  # the same work as a real check: no timing hint that a name exists
                return None, "unknown"
            if row["disabled"]:
                return None, "disabled"
            if row["locked_until"] is not None and row["locked_until"] > now:
                return None, "locked"
            try:
                self.hasher.verify(row["password_hash"], password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                failed = row["failed_logins"] + 1
                values = {"failed_logins": failed}
                if failed >= LOCK_AFTER:
                    values |= {"locked_until": now + timedelta(minutes=LOCK_MINUTES), "failed_logins": 0}
                conn.execute(update(users).where(users.c.name == name).values(**values))
                return None, "locked" if failed >= LOCK_AFTER else "password"
            conn.execute(update(users).where(users.c.name == name).values(failed_logins=0, locked_until=None))
        return self.viewer(name), ""

    # --- wall tokens ---------------------------------------------------------------------------------------------

    def create_token(self, name: str, units=(), days: int = 180, now: datetime | None = None) -> str:
        """A new read-only wall token (returned once; only its hash is stored)."""
        now = now or datetime.now()
        token = secrets.token_urlsafe(32)
        with self.engine.begin() as conn:
            if conn.execute(select(tokens.c.name).where(tokens.c.name == name)).first():
                raise UserError(f"token {name!r} exists")
            conn.execute(insert(tokens).values(name=name, token_sha256=sha256(token), role="leader",
                                               units=json.dumps(sorted(units)), expires_at=now + timedelta(days=days),
                                               revoked=False, created_at=now))
        return token

    def token_viewer(self, token: str, now: datetime) -> Viewer | None:
        """The viewer of a valid token; None when unknown, expired or revoked."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.token_sha256 == sha256(token))).mappings().first()
        if row is None or row["revoked"] or row["expires_at"] <= now:
            return None
        return Viewer(row["name"], row["role"], frozenset(json.loads(row["units"])), kind="token")

    def token_viewer_by_name(self, name: str, now: datetime) -> Viewer | None:
        """The viewer of a session's token, if the token is still alive."""
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.name == name)).mappings().first()
        if row is None or row["revoked"] or row["expires_at"] <= now:
            return None
        return Viewer(row["name"], row["role"], frozenset(json.loads(row["units"])), kind="token")

    def token_alive(self, name: str, now: datetime) -> bool:
        with self.engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.name == name)).mappings().first()
        return row is not None and not row["revoked"] and row["expires_at"] > now

    def revoke_token(self, name: str) -> None:
        with self.engine.begin() as conn:
            if conn.execute(update(tokens).where(tokens.c.name == name).values(revoked=True)).rowcount == 0:
                raise UserError(f"no token {name!r}")

    def list_tokens(self) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(tokens.c.name, tokens.c.units, tokens.c.expires_at, tokens.c.revoked,
                                       tokens.c.created_at).order_by(tokens.c.name)).mappings().all()
        return [dict(r) for r in rows]

    # --- audit ---------------------------------------------------------------------------------------------------

    def record(self, now: datetime, who: str, action: str, what: str, source: str, scope) -> None:
        """Append one audit row (never a secret: callers pass names, routes and counts)."""
        with self.engine.begin() as conn:
            conn.execute(insert(audit).values(at=now, who=who[:64], action=action[:32], what=what[:2000],
                                              source=source[:64], scope=",".join(sorted(scope))[:2000]))

    def audit_rows(self, limit: int = 200) -> list[dict]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(audit).order_by(audit.c.id.desc()).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def prune_audit(self, now: datetime, keep_days: int) -> int:
        """Delete audit rows older than `keep_days`; returns how many."""
        with self.engine.begin() as conn:
            return conn.execute(delete(audit).where(audit.c.at < now - timedelta(days=keep_days))).rowcount
