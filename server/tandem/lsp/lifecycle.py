"""Initialize, folders, settings and file watching.

Settings precedence (lowest first): defaults < ``initializationOptions`` (under
``tandem`` or bare) < ``workspace/configuration`` section ``tandem`` (global, then
the first workspace folder's scope). ``didChangeConfiguration`` only triggers a
re-pull; the payload it carries is not trusted.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.capabilities import get_capability

from tandem.core import settings as settings_mod
from tandem.core.app import FolderSpec
from tandem.lsp.convert import change_kind, encoding, uri_to_path

if TYPE_CHECKING:
    from tandem.lsp.server import TandemServer

log = logging.getLogger(__name__)
WATCH_REGISTRATION_ID = "tandem-watched-files"


def register(ls: TandemServer) -> None:
    @ls.feature(types.INITIALIZE)
    def initialize(ls: TandemServer, params: types.InitializeParams) -> None:
        ls.init_options = settings_mod.unwrap_init_options(params.initialization_options)
        apply_settings(ls, [ls.init_options])
        ls.tandem.set_encoding(encoding(ls.workspace.position_encoding))
        wants = ls.tandem.settings.workspace.watch
        can = bool(
            get_capability(
                params.capabilities,
                "workspace.did_change_watched_files.dynamic_registration",
                False,
            )
        )
        ls.client_watches = wants == "client" or (wants == "auto" and can)
        ls.tandem.own_watcher = wants == "server" or (wants == "auto" and not can)

    @ls.feature(types.INITIALIZED)
    async def initialized(ls: TandemServer, params: types.InitializedParams) -> None:
        folders = initial_folders(ls)
        ls.tandem.add_roots(f.path for f in folders)
        await pull_settings(ls)
        ls.tandem.warm()
        if ls.client_watches:
            await register_client_watch(ls)
        ls.tandem.tasks.run(ls.tandem.add_folders(folders), "scan folders")

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: TandemServer, params: types.DidChangeConfigurationParams
    ) -> None:
        await pull_settings(ls)

    @ls.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(
        ls: TandemServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        removed = [p for f in params.event.removed if (p := uri_to_path(f.uri))]
        await ls.tandem.remove_folders(removed)
        added = [spec for f in params.event.added if (spec := _spec(f.uri, f.name))]
        ls.tandem.tasks.run(ls.tandem.add_folders(added), "scan added folders")

    @ls.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched(
        ls: TandemServer, params: types.DidChangeWatchedFilesParams
    ) -> None:
        changes = []
        for event in params.changes:
            path = uri_to_path(event.uri)
            if path is not None:
                changes.append((path, change_kind(event.type)))
        await ls.tandem.disk_changes(changes)  # type: ignore[arg-type]

    @ls.feature(types.SHUTDOWN)
    async def shutdown(ls: TandemServer, params: Any) -> None:
        await ls.tandem.shutdown()


def _spec(uri: str, name: str | None) -> FolderSpec | None:
    path = uri_to_path(uri)
    if path is None:
        return None
    return FolderSpec(path=path, uri=uri, name=name or path.name)


def initial_folders(ls: TandemServer) -> list[FolderSpec]:
    folders = ls.workspace.folders.values()
    specs = [s for f in folders if (s := _spec(f.uri, f.name))]
    if not specs and ls.workspace.root_uri:
        spec = _spec(ls.workspace.root_uri, None)
        specs = [spec] if spec else []
    return specs


def apply_settings(ls: TandemServer, layers: list[Any]) -> None:
    parsed = settings_mod.parse(settings_mod.merge(*layers))
    ls.tandem.configure(parsed.settings)
    if parsed.problems:
        problems = "; ".join(parsed.problems)
        ls.tandem.notifier.show_message("warning", f"Tandem settings: {problems}")


async def pull_settings(ls: TandemServer) -> None:
    """Re-read ``workspace/configuration`` (when the client offers it) and apply."""
    if not get_capability(ls.client_capabilities, "workspace.configuration", False):
        return
    folders = initial_folders(ls)
    items = [types.ConfigurationItem(section="tandem")]
    items += [types.ConfigurationItem(section="tandem", scope_uri=f.uri) for f in folders[:1]]
    try:
        results = await ls.workspace_configuration_async(types.ConfigurationParams(items=items))
    except Exception as error:  # the client's failure must not take the server down
        log.warning("workspace/configuration failed: %s", error)
        return
    apply_settings(ls, [ls.init_options, *results])


async def register_client_watch(ls: TandemServer) -> None:
    watchers = [types.FileSystemWatcher(glob_pattern="**/*")]
    registration = types.Registration(
        id=WATCH_REGISTRATION_ID,
        method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
        register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
    )
    try:
        await ls.client_register_capability_async(
            types.RegistrationParams(registrations=[registration])
        )
    except Exception as error:  # fall back to our own watcher
        log.warning("client refused file watching (%s); watching ourselves", error)
        ls.client_watches = False
        ls.tandem.own_watcher = True
