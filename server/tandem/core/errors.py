"""Tandem's named errors.

Every error a user can see derives from :class:`TandemError` and carries a message
written for that user. The LSP layer turns them into JSON-RPC errors and
``window/showMessage``; the CLI prints them. Anything else is a bug.
"""

from __future__ import annotations


class TandemError(Exception):
    """Base class: ``str(error)`` is a message fit to show a user."""


class InvalidArguments(TandemError):
    """A command was called with arguments it cannot use."""


class NotFound(TandemError):
    """A named thing (session, document, folder) does not exist."""


class OutsideWorkspace(TandemError):
    """A path lies outside every workspace folder and will not be read."""


class SettingsError(TandemError):
    """Settings could not be used as given; defaults were used instead."""


class StoreError(TandemError):
    """The history store cannot be opened, read or written."""


class StoreUnavailable(StoreError):
    """The configured store cannot be reached (a missing extra, a down server)."""


class SchemaTooNew(StoreError):
    """The store was written by a newer Tandem; it is left untouched."""


class StoreFull(StoreError):
    """The disk holding the store is full: nothing was written; free space and retry."""


class StoreLocked(StoreError):
    """Another process holds the store's write lock for longer than the busy timeout."""


class StoreReadOnly(StoreError):
    """The store (its file, folder or file system) cannot be written."""


class ContextError(TandemError):
    """The request cannot be assembled (for example, the budget is too small)."""


class ModelError(TandemError):
    """The model endpoint failed; the message says what the user can do."""


class Cancelled(TandemError):
    """The user cancelled the request."""
