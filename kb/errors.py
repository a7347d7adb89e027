"""The one exception tree: every error a user can cause is a KbError.

    KbError
    ├── CorpusError        a corpus file is wrong (carries file, line, field)
    ├── ValidationFailed   a corpus, entry or case checked at once: every CorpusError in `errors`
    ├── NotFound
    │   ├── EntryNotFound
    │   ├── VersionNotFound
    │   ├── TopicNotFound
    │   ├── RecommendationNotFound
    │   ├── SuggestionNotFound
    │   ├── GapNotFound
    │   ├── TicketNotFound
    │   └── KeyNotFound
    ├── Unauthorized       no API key, or one that is unknown or revoked (401)
    ├── Forbidden          the key's role may not do this (403)
    ├── InvalidParameter   a request or command argument is wrong (carries field)
    ├── VersionConflict    someone saved the entry in between (optimistic lock)
    ├── OutcomeConflict    a different outcome was already reported for a recommendation
    ├── SuggestionDecided  a suggested phrasing or keyword was already accepted or rejected
    ├── TicketConflict     a handoff ticket taken twice, or closed before anyone took it
    ├── KeyExists          an API key of that name exists
    ├── EntryExists        a new entry's id is taken
    ├── BackupInvalid      a file given to restore is not a sound kefu-kb database
    ├── DatabaseInUse      a restore while a server holds the database, or the reverse (409)
    ├── Unavailable        a write cannot be done now; retry later (503, Retry-After)
    │   ├── DatabaseBusy       another writer held the database past the wait
    │   ├── DatabaseReadOnly   the database file cannot be written
    │   └── DatabaseUnreachable  the PostgreSQL server cannot be reached (at start, or lost)
    ├── Unsupported        a command the backend in use cannot do (says what to use instead)
    └── ConfigError        a setting has a bad value

The API turns each into `{"error": {"code", "message", "field"}}` with `status`
(ValidationFailed adds `errors`, one per problem); the CLI prints the message on one
line (one line per problem) and exits non-zero. Errors found in a batch carry `index`,
the item's position, so the API can name it (`items[2].recommendation_id`).
"""


class KbError(Exception):
    code = "kb_error"
    status = 400
    index: int | None = None  # the item's position when raised for one item of a batch

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class CorpusError(KbError):
    code = "corpus_invalid"

    def __init__(self, file: str, line: int | None, field: str | None, reason: str):
        self.file, self.line, self.reason = file, line, reason
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}", field)


class ValidationFailed(KbError):
    """Everything wrong with a corpus, an entry or a case, found in one pass so an editor
    fixes it all at once. The message and field are the first problem's."""

    code = CorpusError.code

    def __init__(self, errors: list[CorpusError]):
        self.errors = list(errors)
        super().__init__(self.errors[0].message, self.errors[0].field)


class NotFound(KbError):
    code = "not_found"
    status = 404


class EntryNotFound(NotFound):
    code = "entry_not_found"

    def __init__(
        self, entry_id: str, field: str = "id", index: int | None = None, live: bool = False
    ):
        self.index = index
        super().__init__(f"no {'live ' if live else ''}entry with id {entry_id!r}", field)


class VersionNotFound(NotFound):
    code = "version_not_found"

    def __init__(self, entry_id: str, version: int):
        super().__init__(f"entry {entry_id!r} has no version {version}", "version")


class TopicNotFound(NotFound):
    code = "topic_not_found"

    def __init__(self, topic_id: str, field: str = "topic"):
        super().__init__(f"no topic with id {topic_id!r}", field)


class RecommendationNotFound(NotFound):
    code = "recommendation_not_found"

    def __init__(self, recommendation_id: str, index: int | None = None):
        self.index = index
        super().__init__(f"no recommendation with id {recommendation_id!r}", "recommendation_id")


class SuggestionNotFound(NotFound):
    code = "suggestion_not_found"

    def __init__(self, entry_id: str, suggestion_id: int):
        super().__init__(f"entry {entry_id!r} has no suggestion {suggestion_id}", "suggestion_id")


class GapNotFound(NotFound):
    code = "gap_not_found"

    def __init__(self, gap_id: str, days: int):
        super().__init__(f"no open gap with id {gap_id!r} in the last {days} days", "gap_id")


class TicketNotFound(NotFound):
    code = "ticket_not_found"

    def __init__(self, ticket_id: str):
        super().__init__(f"no handoff ticket with id {ticket_id!r}", "id")


class KeyNotFound(NotFound):
    code = "key_not_found"

    def __init__(self, name: str):
        super().__init__(f"no active API key named {name!r}", "name")


class Unauthorized(KbError):
    code = "unauthorized"
    status = 401


class Forbidden(KbError):
    code = "forbidden"
    status = 403


class EntryExists(KbError):
    code = "entry_exists"
    status = 409

    def __init__(self, entry_id: str):
        super().__init__(f"an entry with id {entry_id!r} exists; edit it or pick another id", "id")


class KeyExists(KbError):
    code = "key_exists"
    status = 409

    def __init__(self, name: str):
        super().__init__(f"an active API key named {name!r} exists; revoke it or pick another name",
                         "name")  # fmt: skip


class InvalidParameter(KbError):
    code = "invalid_parameter"


class VersionConflict(KbError):
    code = "version_conflict"
    status = 409

    def __init__(self, entry_id: str, expected: int, actual: int):
        self.entry_id, self.expected, self.actual = entry_id, expected, actual
        super().__init__(
            f"entry {entry_id!r} is at version {actual}, not {expected}: "
            "someone saved it in between; reload and merge",
            "base_version",
        )


class OutcomeConflict(KbError):
    code = "outcome_conflict"
    status = 409

    def __init__(self, recommendation_id: str, stored: str, index: int | None = None):
        self.index = index
        super().__init__(
            f"recommendation {recommendation_id!r} already has outcome {stored!r}; "
            "an outcome is reported once",
            "outcome",
        )


class SuggestionDecided(KbError):
    code = "suggestion_decided"
    status = 409

    def __init__(self, suggestion_id: int | str, status: str, field: str = "suggestion_id"):
        super().__init__(f"suggestion {suggestion_id} was already {status}", field)


class TicketConflict(KbError):
    """`code` says which: ticket_taken (someone took it first) or ticket_not_taken (close)."""

    status = 409

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message, "id")


class BackupInvalid(KbError):
    code = "backup_invalid"

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}; nothing was restored", "file")


class DatabaseInUse(KbError):
    code = "database_in_use"
    status = 409


class Unavailable(KbError):
    code = "unavailable"
    status = 503
    retry_after = 1  # seconds, sent as Retry-After


class DatabaseBusy(Unavailable):
    code = "database_busy"


class DatabaseReadOnly(Unavailable):
    code = "database_read_only"
    retry_after = 30


class DatabaseUnreachable(Unavailable):
    code = "database_unreachable"
    retry_after = 5

    def __init__(self, url: str, reason: str):
        super().__init__(f"cannot reach the database {url}: {reason}")


class Unsupported(KbError):
    code = "unsupported"


class ConfigError(KbError):
    code = "config_invalid"
