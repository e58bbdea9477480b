"""``coopledger export-tiles``: the log as static C2SP tiles, for a static host or a CDN.

Like ``api.cli``, this module imports only Typer and the standard library when it loads.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from ledger.tile_export import TileExport

DataOption = Annotated[
    Path | None,
    typer.Option(
        "--data", envvar="COOPLEDGER_DATA", metavar="DIR", help="The ledger's data directory."
    ),
]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        metavar="DIR",
        help="Folder to write: new, empty, or holding an earlier export of this log.",
    ),
]


def export_tiles(out: OutOption, data: DataOption = None) -> None:
    """Write the log as C2SP tiles (checkpoint, tile/...): only what is new since the last
    export into the same folder. The folder of another log is refused."""
    from api.cli import _config, _run
    from api.cli import out as console

    config = _config(data)

    async def export() -> TileExport:
        from api.runtime import open_store
        from ledger.tile_export import export_tiles as write_tiles

        store = await open_store(config.database_url, migrate=False)
        try:
            return await write_tiles(store, out, verifier=config.log_verifier, origin=config.origin)
        finally:
            await store.close()

    result = _run(export())
    console().print(
        f"exported tree size {result.size} to {out}: {result.written} files written "
        f"(it held size {result.previous})",
        markup=False,
    )
