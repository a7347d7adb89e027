"""API keys and roles: who may call what. Keys are shown once and stored only as a hash.

A key is "kb_" + 40 random URL-safe characters; its first 8 after the prefix find
the row, and the SHA-256 of the whole key is compared in constant time. A fast
hash is enough: the key itself carries 240 bits of randomness, so there is
nothing to brute-force that a slow hash would protect.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from kb.errors import Forbidden, InvalidParameter, Unauthorized
from kb.store import Store

# What each role may do. Every API route names one of these permissions.
# `sidebar` is a human agent's verdict on a template: a person's word, so no bot may give it;
# `queue` is taking and closing handoff tickets: people's work, not a bot's.
PERMISSIONS = {
    "bot": {"recommend", "feedback"},
    "agent": {"search", "feedback", "sidebar", "queue", "read"},
    "editor": {"search", "feedback", "sidebar", "queue", "read", "edit", "flags"},
    "admin": {"recommend", "search", "feedback", "sidebar", "queue", "read", "edit", "flags",
              "keys", "import"},
}  # fmt: skip
ROLES = tuple(PERMISSIONS)
PREFIX = "kb_"
LOOKUP = 8


@dataclass
class Caller:
    name: str
    role: str

    def may(self, permission: str) -> bool:
        return permission in PERMISSIONS[self.role]


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(store: Store, name: str, role: str) -> str:
    """A new key for `name` with `role`; the only time the key itself is seen."""
    if role not in ROLES:
        raise InvalidParameter(f"role must be one of {', '.join(ROLES)}; got {role!r}", "role")
    if not name.strip():
        raise InvalidParameter("a key needs a name (who or what uses it)", "name")
    key = PREFIX + secrets.token_urlsafe(30)
    store.add_key(name, role, key[len(PREFIX) : len(PREFIX) + LOOKUP], digest(key))
    return key


def authenticate(store: Store, key: str | None) -> Caller:
    """The caller a key belongs to, or Unauthorized (never says which part was wrong)."""
    if not key or not key.startswith(PREFIX) or len(key) < len(PREFIX) + LOOKUP:
        raise Unauthorized("an API key is required: send 'Authorization: Bearer <key>'")
    row = store.key_by_prefix(key[len(PREFIX) : len(PREFIX) + LOOKUP])
    if row is None or not hmac.compare_digest(row["hash"], digest(key)):
        raise Unauthorized("the API key is unknown or revoked")
    return Caller(row["name"], row["role"])


def authorise(caller: Caller, permission: str) -> None:
    if not caller.may(permission):
        raise Forbidden(f"the {caller.role} role may not {permission}; ask an admin for a key "
                        f"with a role that may", "authorization")  # fmt: skip
