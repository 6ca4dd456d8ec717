"""A BBMD's broadcast-distribution table and foreign-device table (``b`` in Manage, or the palette).

Read-only: Read-Broadcast-Distribution-Table and Read-Foreign-Device-Table
(BVLL, BACnet/IP only). Type the BBMD's ``IP[:PORT]`` and press Enter; a
station that is not a BBMD does not answer, which shows as one line.
"""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from aso_runtime.bacnet import BacnetClient, BacnetError, read_bdt, read_fdt
from aso_runtime.closeout.audited import one_line

from ..messages import ReportsFailedWork
from ..widgets.key_bar import KeyBar
from .dialog import Dialog


def default_bbmd(runtime: Any) -> str | None:
    """The BBMD this console registered with (--foreign), else the demo building's own, else None."""
    building = getattr(runtime, "building", None)
    return runtime.options.foreign or getattr(building, "router_address", None)


class BbmdTablesScreen(ReportsFailedWork, Dialog[None]):
    DEFAULT_CSS = """
    BbmdTablesScreen { align: center middle; }
    BbmdTablesScreen > Vertical {
        width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $primary; background: $surface; padding: 0 1;
    }
    BbmdTablesScreen #bbmd-address { width: 40; }
    BbmdTablesScreen .title { margin-top: 1; text-style: bold; }
    BbmdTablesScreen DataTable { height: auto; max-height: 8; }
    BbmdTablesScreen #bbmd-result.-error { color: $error; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="bbmd.close")]

    def __init__(self, client: BacnetClient, address: str | None = None) -> None:
        super().__init__()
        self.client = client
        self.address = address or ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("BBMD tables: type the BBMD's IP[:PORT] (port 47808 if none), Enter reads them")
            yield Input(self.address, placeholder="e.g. 10.0.0.1 or 127.0.0.1:47808", id="bbmd-address", compact=True)
            yield Static("Broadcast-distribution table", id="bdt-title", classes="title")
            yield DataTable(id="bdt", cursor_type="row")
            yield Static("Foreign-device table", id="fdt-title", classes="title")
            yield DataTable(id="fdt", cursor_type="row")
            yield Static("", id="bbmd-result")
        yield KeyBar()

    def on_mount(self) -> None:
        bdt = self.query_one("#bdt", DataTable)
        bdt.add_column("Peer BBMD", key="address", width=24)
        bdt.add_column("Broadcast mask", key="mask", width=18)
        fdt = self.query_one("#fdt", DataTable)
        fdt.add_column("Foreign device", key="address", width=24)
        fdt.add_column("TTL s", key="ttl", width=8)
        fdt.add_column("Remaining s", key="remaining", width=12)
        self.query_one("#bbmd-address", Input).focus()
        if self.address:
            self.read_tables(self.address)

    @on(Input.Submitted, "#bbmd-address")
    def _submitted(self, event: Input.Submitted) -> None:
        self.read_tables(event.value.strip())

    @work(exclusive=True, group="bbmd", exit_on_error=False, name="BBMD tables")
    async def read_tables(self, address: str) -> None:
        result = self.query_one("#bbmd-result", Static)
        result.remove_class("-error")
        result.update(f"reading the tables of {address}...")
        try:
            bdt = await read_bdt(self.client, address)
            fdt = await read_fdt(self.client, address)
        except BacnetError as exc:
            result.add_class("-error")
            result.update(one_line(exc))
            raise
        self.show(address, bdt, fdt)

    def show(self, address: str, bdt: list, fdt: list) -> None:
        table = self.query_one("#bdt", DataTable)
        table.clear()
        for entry in bdt:
            table.add_row(entry.address, entry.mask, key=entry.address)
        table = self.query_one("#fdt", DataTable)
        table.clear()
        for entry in fdt:
            table.add_row(entry.address, str(entry.ttl), str(entry.remaining), key=entry.address)
        self.query_one("#bdt-title", Static).update(f"Broadcast-distribution table of {address} ({len(bdt)})")
        self.query_one("#fdt-title", Static).update(f"Foreign-device table of {address} ({len(fdt)})")
        self.query_one("#bbmd-result", Static).update(f"read {len(bdt)} peer(s), {len(fdt)} foreign device(s)")

    def action_close(self) -> None:
        self.dismiss(None)
