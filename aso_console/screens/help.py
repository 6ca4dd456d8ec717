"""The help screen (``?``): every key, the command verbs, and where logs go."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Markdown

from .dialog import Dialog

HELP = """\
# ASO Console: keys

| Key | Where | What |
|---|---|---|
| F1 F2 F3 F4 F7 F8 F9 | anywhere | Explore / Command line / Runner / Log / Overrides (every held slot on the site) / Trends / Alarms |
| F5 | anywhere | Who-Is: discover the site again |
| F6 | anywhere | discover with options: instance range, one address, a remote network, routers |
| Ctrl+C | anywhere | quit (same as q) |
| / | anywhere | filter the tree by point name or id (Esc clears) |
| Up / Down, PgUp / PgDn, Home / End | tree, tables | move the cursor |
| Right / Left | tree | open (points load when a device opens) / close, or to the first child / the parent |
| Enter / Space | tree | open or close; Enter on a point goes to its row |
| Tab / Esc | tree / points | go to the points / back to the tree (below 100 columns they take turns on screen) |
| Tab / Shift+Tab | anywhere | next / previous pane |
| w | point table | write the point (modal, default priority 8) |
| Enter | point table | go to the priority array |
| w / Enter | priority array | write at the highlighted slot |
| x / Delete | priority array | release (relinquish) the highlighted slot |
| r | tree | reload the points of the device |
| m | tree | manage the device: time sync (read back), DCC, reinitialize, BBMD tables; each confirmed |
| i | tree, point table | inspect the point (or device): every property, decoded |
| p | tree, point table | plot the point in Trends (F8), or take it off |
| space / Left Right / + - / x / e | trends | pause / scroll back and forward / zoom 1 min..24 h / remove the series / export CSV |
| l / r | trends | read a trend log's buffer into the plot (DEV OBJ, last 2h/24h; a trend-log-multiple as a series per column) / read the highlighted log again (all its columns still plotted) |
| t | inspector (trend log) | read its buffer (last 24 h) into Trends (F8); p on it in Explore does the same |
| F9, then r / a | alarms | active and unacknowledged alarms of every discovered device (live) / acknowledge the selected one (asks first, read back) |
| n / N | alarms | add this console to the recipient list of the selected alarm's notification class (asks first; taken out on exit) / take it out now |
| U | Explore | this session's writes and releases; u undoes one (only while the slot still holds it) |
| w / o / v | inspector | write the highlighted property / put in or out of service / raw value |
| r / f / g / d | overrides | sweep the site again / filter (`1001 p8 p1-15 aso console cli device unknown oos >1h` and words) / sort by device, priority, holder, age / show the programs' own slots at 16 |
| space / a / x | overrides | select a row / every row shown / release the selection (each read back; an out-of-service point goes back in service) |
| c / C | inspector | COV on the object (C: confirmed) until the inspector closes (Esc) |
| s | inspector (schedule) | the week grid and exceptions; e edits a day, a adds an exception, d drops the one under the cursor (each confirmed, read back) |
| s | inspector (calendar) | the date list and whether today is in it; a adds a date, range or week-n-day, d drops the one under the cursor (each confirmed, read back) |
| l | runner | load a script or a packaged example |
| s / t / R | runner | start / stop (releases, verified) / restart the ASO |
| a | runner | log of all ASOs (select a row for one ASO's log) |
| u / U | held overrides | release the highlighted override now / all of them |
| Ctrl+P | anywhere | command palette (themes, actions) |
| ? / F10 | anywhere | this help |
| q | anywhere | quit |

Slots 1 and 2 (life safety) ask you to type the point's name first, to write and to release
(F2 and the CLI too: `--life-safety NAME`).
Quitting (q, Ctrl+C, a dropped SSH session) stops every ASO and releases what it holds;
q lists the manual overrides of this session still held, to release or leave (`aso undo --list`).
With `--read-only` every write and release is refused.

## Command line (F2)

The same verbs and syntax as the `aso` command: `read DEVICE OBJECT [PROP]`,
`write DEVICE OBJECT [PROPERTY] VALUE [PRIORITY]`, `props DEVICE OBJECT`, `release DEVICE OBJECT PRIORITY`, `rpm DEVICE OBJECT PROP[,PROP]...`,
`wpm DEVICE OBJECT PROP=VALUE[@P] ...`, `pa DEVICE OBJECT`, `whois [LOW [HIGH]] [--target A | --network N]`,
`whohas OBJECT | --name NAME`, `routers [NET]`, `discover DEVICE`; `help VERB` for one.
DEVICE is an instance (`1001`) or an address. Objects: `ai,1`, `AI1`, `analog-input:1`, `av 3`.
Values show in the point's words: `Running`, `occupied`, `55 %`; a device that stops answering is
marked offline and its last readings end in `?`.

Point table columns: Flags A=in alarm F=fault O=overridden S=out of service; Cmd = current command priority.
"""


class HelpScreen(Dialog[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 110; height: 90%; border: thick $primary; background: $surface; }
    """
    BINDINGS = [Binding("escape,q,question_mark,f10", "close", "Close", id="help.close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Markdown(HELP)

    def action_close(self) -> None:
        self.dismiss(None)
