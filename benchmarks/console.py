#!/usr/bin/env python3
"""ASO Console performance: launch to whole tree, key-to-screen latency, memory at 20,000 points.

Everything runs on the in-process bacpypes3 virtual network (the console's
demo mode: a simulated building of ``--devices`` devices in the same process
and loop as the console); no socket is opened on any interface.

1. Launch to tree shown:
   - ``pty``: the real ``aso-console --demo --demo-devices 50`` under a
     pseudo-terminal (120x40), from fork to the moment the terminal receives
     the status line "50 device(s), N point(s) in X s" (set right after the
     last device's points went into the tree). Compared with ``headless``:
     this script in a child process doing the same work without the UI
     (import, start the same building, ``open_client``, Who-Is, then every
     device's details and ``discover_objects``, 8 devices at a time as the
     app's discover() worker does), from fork to its "done" line.
   - discovery phase: ``app.explore.discovery_seconds`` (the app's own Who-Is to
     whole tree, inside ``app.run_test``) against that runtime discovery
     without the UI, each run in a fresh process, alternating.
2. Key-to-screen latency: inside ``app.run_test`` a key event is posted the
   way a terminal driver posts it, and the latency is the time to the first
   frame the compositor renders (and encodes to ANSI, as a real driver
   would; the headless driver skips that step, so this script does it) in
   which the widget state shows the key: the tree cursor moved ("echo"), the
   new selection's details and point table shown ("selection"), the other
   tab's pane on screen. In the pty session, tree moves and F4/F1 are timed
   from the write to the master until the terminal has received the changed
   screen. (F2/F1 is not used for the timing: F1 does not leave the Command
   tab; the latency part records that as ``f1_from_command_tab``.)
3. Memory: VmRSS of a fresh process after loading 20,000 points (the real
   50-device site plus synthetic ObjectInfo points on synthetic devices,
   rendered through DeviceTree.show_points and, for the biggest group,
   PointTable.show) and after expanding the whole tree; also key latency
   there, and a filter keystroke over the 20,000 points.

Usage::

    .venv/bin/python benchmarks/console.py [--quick] [--devices 50] [--only STEPS]
    .venv/bin/python benchmarks/console.py --profile discovery|filter|big-table
    .venv/bin/python benchmarks/console.py --gc-freeze --only discovery,latency   # a what-if

Prints a markdown table and writes benchmarks/results-console.json (about
3 minutes; --quick about 1). Parts that need a clean process run this file
again as a child (``--part NAME``) which prints one result line.
``--profile`` prints a cProfile of one phase instead (see README-console.md).

Method, caveats and the figures: benchmarks/README-console.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import json
import os
import platform
import random
import re
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results-console.json"
CONSOLE = ROOT / ".venv" / "bin" / "aso-console"
RESULT_MARK = "@@RESULT@@ "
READY_MARK = "@@READY@@"

SIZE = (120, 40)
POINT_LOADS_IN_PARALLEL = 8  # aso_console.site_loader.POINT_LOADS_IN_PARALLEL (checked in the discovery part)
POLL_INTERVAL = 0.5  # s, in the latency runs: 4x the console's default, so more presses overlap a poll
TARGET_POINTS = 20_000
BIG_GROUP = 2_000  # rows of the big point-table group
AHU = 1001

GC_FREEZE = False  # --gc-freeze: call gc.freeze() at mount (a what-if, not what the console does)

AIM_LAUNCH_RATIO = 1.10
AIM_KEY_MS = 50.0
AIM_RSS_MB = 300.0

_vlan_counter = iter(range(1, 1_000_000))


def vlan_name(tag: str) -> str:
    return f"bench-console-{tag}-{os.getpid()}-{next(_vlan_counter)}"


# ----- small helpers ---------------------------------------------------------------------------


def proc_status_mb(field: str) -> float:
    """VmRSS / VmHWM of this process, MB (MiB), from /proc/self/status."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def rss_mb() -> float:
    gc.collect()
    return round(proc_status_mb("VmRSS"), 1)


def summary(samples_ms: list[float | None]) -> dict:
    """Median, p95 (nearest rank), max over the presses that showed; timeouts counted apart."""
    shown = sorted(s for s in samples_ms if s is not None)
    out = {"n": len(shown), "timeouts": sum(1 for s in samples_ms if s is None)}
    if shown:
        rank = max(0, -(-95 * len(shown) // 100) - 1)
        out.update(median=round(statistics.median(shown), 1), p95=round(shown[rank], 1), max=round(shown[-1], 1),
                   min=round(shown[0], 1))
    return out


class GcPauses:
    """Full (generation 2) garbage collections while active: count, longest and total pause."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.monotonic()
        else:
            self.pauses.append((time.monotonic() - self._started) * 1000)

    def __enter__(self) -> "GcPauses":
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def result(self) -> dict:
        return {"gen2_collections": len(self.pauses), "gen2_max_ms": round(max(self.pauses, default=0), 1),
                "gen2_total_ms": round(sum(self.pauses), 1)}


def median(values: list[float]) -> float:
    return statistics.median(values)


def emit(result: dict) -> None:
    print(RESULT_MARK + json.dumps(result), flush=True)


def child_env(tmp: str) -> dict:
    """XDG dirs in a temp dir: the console's log file must not land in the user's home."""
    env = dict(os.environ)
    for var in ("XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        env[var] = os.path.join(tmp, var.lower())
    env.pop("TEXTUAL", None)  # no devtools
    return env


def run_part(name: str, args: argparse.Namespace, timeout: float = 240) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--part", name, "--devices", str(args.devices)]
    if args.quick:
        cmd.append("--quick")
    if args.gc_freeze:
        cmd.append("--gc-freeze")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=child_env(tmp), cwd=ROOT)
    lines = [line for line in proc.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"part {name} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    return json.loads(lines[-1][len(RESULT_MARK):])


# ----- the runtime alone: what the app's discover() worker does, without the UI ----------------


async def runtime_discovery(client) -> dict:
    """Who-Is, then every device's name/model/vendor and ``discover_objects``, 8 at a time."""
    from aso_runtime.bacnet import BacnetError, discover_objects, read_many, who_is_stream

    limit = asyncio.Semaphore(POINT_LOADS_IN_PARALLEL)

    async def load(device) -> int:
        async with limit:
            try:
                await read_many(client, device, [(f"device,{device.instance}", ["object-name", "model-name",
                                                                                 "vendor-name"])])
            except BacnetError:
                pass
            try:
                return len(await discover_objects(client, device))
            except BacnetError:
                return 0

    with GcPauses() as pauses:
        started = time.monotonic()
        found = [device async for device in who_is_stream(client)]
        who_is_done = time.monotonic()
        points = sum(await asyncio.gather(*(load(device) for device in found)))
        done = time.monotonic()
    return {"seconds": done - started, "who_is_seconds": who_is_done - started, "devices": len(found),
            "points": points, "gc": pauses.result()}


async def runtime_run(devices: int) -> dict:
    from aso_runtime.bacnet import open_client
    from aso_runtime.bacnet.local import drop_virtual_network
    from aso_runtime.sim import SimulatedBuilding

    vlan = vlan_name("rt")
    building = await SimulatedBuilding.start(vlan=vlan, devices=devices)
    try:
        client = await open_client(vlan=vlan, mac=1, instance=4194302, name="bench", timeout=3.0)
        try:
            return await runtime_discovery(client)
        finally:
            await client.close()
    finally:
        await building.stop()
        drop_virtual_network(vlan)


# ----- the instrumented app ------------------------------------------------------------------------


_measured_app = None


def measured_app_class():
    """AsoConsoleApp that time-stamps every frame and can resolve "the first frame where X holds"."""
    global _measured_app
    if _measured_app is not None:
        return _measured_app
    from rich.console import Console
    from textual._compositor import CompositorUpdate

    from aso_console.app import AsoConsoleApp

    class MeasuredApp(AsoConsoleApp):
        def __init__(self, *args, extra_ahu_points: int = 0, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.frames = 0
            self.frame_seconds = 0.0  # time spent encoding frames to ANSI
            self.mounted_at: float | None = None
            self.extra_ahu_points = extra_ahu_points
            self._watches: list = []
            # Like the pty runs' xterm-256color; the headless app console has no colour system.
            self.encode_console = Console(file=io.StringIO(), force_terminal=True, color_system="256",
                                          legacy_windows=False, width=SIZE[0], height=SIZE[1])

        async def on_load(self) -> None:
            await super().on_load()  # the runtime is open; the panes (and discovery) are not mounted yet
            if self.extra_ahu_points:
                add_served_points(self.runtime.building, AHU, self.extra_ahu_points)

        def on_mount(self) -> None:
            self.mounted_at = time.monotonic()
            if GC_FREEZE:
                gc.freeze()  # what-if (--gc-freeze): the suggestion in README-console.md

        def _display(self, screen, renderable) -> None:
            super()._display(screen, renderable)
            if renderable is None or self._batch_count:
                return
            if self.is_headless and isinstance(renderable, CompositorUpdate):
                # What a terminal driver does before writing; headless skips it.
                began = time.monotonic()
                renderable.render_segments(self.encode_console)
                self.frame_seconds += time.monotonic() - began
            now = time.monotonic()
            self.frames += 1
            for watch in list(self._watches):
                predicate, future = watch
                if future.done():
                    self._watches.remove(watch)
                elif predicate():
                    future.set_result(now)
                    self._watches.remove(watch)

        def frame_when(self, predicate) -> asyncio.Future:
            future = asyncio.get_running_loop().create_future()
            self._watches.append((predicate, future))
            return future

        async def next_frame(self, timeout: float = 5.0) -> None:
            await asyncio.wait_for(self.frame_when(lambda: True), timeout)

    _measured_app = MeasuredApp
    return MeasuredApp


def make_app(devices: int, tag: str, poll_interval: float = POLL_INTERVAL, **kwargs):
    from aso_console.runtime import ConsoleOptions

    vlan = vlan_name(tag)
    options = ConsoleOptions(demo=True, vlan=vlan, demo_devices=devices, release_orphans=False)
    app = measured_app_class()(options=options, poll_interval=poll_interval, **kwargs)
    app.bench_vlan = vlan
    return app


def add_served_points(building, instance: int, count: int) -> None:
    """Serve ``count`` more analog-value setpoints from a simulated device (genuine bacpypes3 objects)."""
    from aso_runtime.sim import points as p

    application = building.application(instance)
    for k in range(count):
        application.add_object(p.analog_value(1000 + k, f"AHU-1 Zone {k + 1:04d} Setpoint", "degrees-fahrenheit",
                                              70.0 + (k % 7)))


def key_event(app, key: str, char: str | None = None):
    from textual import events

    event = events.Key(key, char)
    event.set_sender(app)
    return event


async def press(app, key: str, watches: dict, *, char: str | None = None, timeout: float = 3.0) -> dict:
    """Post ``key`` as a terminal driver would; ms until the first frame where each watch holds."""
    futures = {name: app.frame_when(predicate) for name, predicate in watches.items()}
    sent = time.monotonic()
    app._driver.send_message(key_event(app, key, char))
    result = {}
    for name, future in futures.items():
        try:
            shown = await asyncio.wait_for(future, max(0.01, sent + timeout - time.monotonic()))
            result[name] = (shown - sent) * 1000
        except (asyncio.TimeoutError, TimeoutError):
            result[name] = None
    return result


def discovery_running(app) -> bool:
    return any(w.group == "discover" and not w.is_finished for w in app.workers)


async def settle(app, seconds: float = 0.3) -> None:
    """Let workers and the frames they cause finish before the next measurement."""
    await asyncio.sleep(seconds)


def tree_watches(app, tree, start) -> dict:
    return {
        "echo": lambda: tree.cursor_node != start,
        "selection": lambda: (tree.cursor_node != start and tree.cursor_node is not None
                              and app.explore.selection == tree.cursor_node.data),
    }


async def tree_presses(app, count: int, rng: random.Random, *, only_while=None, restart=None,
                       timeout: float = 3.0, samples: dict | None = None) -> dict:
    """Move the tree cursor ``count`` times (down to the end, then up, and so on).

    With ``only_while``, presses happen only while it holds; ``restart`` makes it hold again
    (e.g. starts another discovery), else the presses stop early.
    """
    from aso_console.widgets.device_tree import DeviceTree

    tree = app.query_one(DeviceTree)
    tree.focus()
    samples = samples if samples is not None else {"echo": [], "selection": []}
    direction = "down"
    first_line = 1  # line 0 is the network heading: keep the cursor on devices
    target = len(samples["echo"]) + count
    while len(samples["echo"]) < target:
        if only_while is not None and not only_while():
            if restart is None:
                break
            restart()
            while not only_while():
                await asyncio.sleep(0.005)
            continue
        start = tree.cursor_node
        if start is None:
            await asyncio.sleep(0.01)
            continue
        if direction == "down" and tree.cursor_line >= tree.last_line:
            direction = "up"
        elif direction == "up" and tree.cursor_line <= first_line:
            direction = "down"
        result = await press(app, direction, tree_watches(app, tree, start), timeout=timeout)
        for name, value in result.items():
            samples[name].append(value)
        await asyncio.sleep(rng.uniform(0.02, 0.06))
    return samples


async def tab_presses(app, count: int, rng: random.Random, *, only_while=None, restart=None) -> list:
    """Alternate F4 (log) and F1 (explore); ms until the other pane is on screen.

    Not F2: from the Command tab F1 bounces back (see f1_from_command_tab).
    """
    from aso_console.widgets.device_tree import DeviceTree
    from aso_console.widgets.log_pane import LogPane

    panes = {"f4": app.query_one(LogPane), "f1": app.query_one(DeviceTree)}
    samples = []
    key = "f4"
    while len(samples) < count:
        if only_while is not None and not only_while():
            if restart is None:
                break
            restart()
            while not only_while():
                await asyncio.sleep(0.005)
            continue
        pane = panes[key]
        if pane in app.screen._compositor.visible_widgets:
            key = "f1" if key == "f4" else "f4"
            continue

        def shown(pane=pane) -> bool:
            return pane in app.screen._compositor.visible_widgets

        result = await press(app, key, {"shown": shown})
        samples.append(result["shown"])
        key = "f1" if key == "f4" else "f4"
        await asyncio.sleep(rng.uniform(0.02, 0.06))
    if panes["f1"] not in app.screen._compositor.visible_widgets:
        await press(app, "f1", {"shown": lambda: panes["f1"] in app.screen._compositor.visible_widgets})
    app.query_one(DeviceTree).focus()  # F1 leaves nothing focused
    return samples


async def f2_presses(app, count: int, rng: random.Random) -> list:
    """F2 from Explore: ms until the command line is on screen (back to Explore without a key, see below)."""
    from aso_console.widgets.command_pane import CommandInput
    from aso_console.widgets.device_tree import DeviceTree

    command = app.query_one(CommandInput)
    tree = app.query_one(DeviceTree)
    samples = []
    for _ in range(count):
        result = await press(app, "f2", {"shown": lambda: command in app.screen._compositor.visible_widgets})
        samples.append(result["shown"])
        await asyncio.sleep(rng.uniform(0.02, 0.06))
        # F1 does not bring Explore back from here (f1_from_command_tab); focusing the tree does.
        back = app.frame_when(lambda: tree in app.screen._compositor.visible_widgets)
        tree.focus()
        await asyncio.wait_for(back, 5)
        await asyncio.sleep(rng.uniform(0.02, 0.06))
    return samples


async def f1_from_command_tab(app) -> dict:
    """Does F1 bring Explore back from the Command tab? (Found broken while writing this benchmark.)"""
    from textual.widgets import TabbedContent

    from aso_console.widgets.device_tree import DeviceTree

    tabs = app.query_one(TabbedContent)
    app.query_one(DeviceTree).focus()
    app._driver.send_message(key_event(app, "f2"))
    await asyncio.sleep(0.3)
    result = {"active_after_f2": tabs.active}
    for attempt in ("after_f1", "after_second_f1"):
        app._driver.send_message(key_event(app, "f1"))
        await asyncio.sleep(0.5)
        result[f"active_{attempt}"] = tabs.active
        result[f"focused_{attempt}"] = type(app.focused).__name__ if app.focused else None
    app.query_one(DeviceTree).focus()  # what gets a technician back to Explore
    await asyncio.sleep(0.3)
    result["active_after_focusing_tree"] = tabs.active
    return result


# ----- part: discovery, in-process, interleaved ------------------------------------------------


async def part_discovery_runtime(devices: int) -> dict:
    return await runtime_run(devices)


async def part_discovery_app(devices: int) -> dict:
    from aso_console import site_loader as app_module
    from aso_runtime.bacnet.local import drop_virtual_network

    assert app_module.POINT_LOADS_IN_PARALLEL == POINT_LOADS_IN_PARALLEL, "mirror the app's parallelism"
    launched = time.monotonic()
    app = make_app(devices, "disc", poll_interval=2.0)
    try:
        with GcPauses() as pauses:
            async with app.run_test(size=SIZE):
                entered = time.monotonic()
                await asyncio.wait_for(app.tree_complete.wait(), 60)
                complete = time.monotonic()
                pauses.stop()  # count the collections up to the whole tree only
                await app.next_frame()
                shown = time.monotonic()
    finally:
        drop_virtual_network(app.bench_vlan)
    return {
        "launch_to_tree_shown": shown - launched,
        "launch_to_mount": app.mounted_at - launched,
        "run_test_entered": entered - launched,
        "discovery_seconds": app.explore.discovery_seconds,
        "mount_to_tree_complete": complete - app.mounted_at,
        "tree_complete_to_frame": shown - complete,
        "frames": app.frames,
        "frame_encode_seconds": app.frame_seconds,
        "devices": len(app.site.devices),
        "points": app.site.point_count(),
        "gc": pauses.result(),
    }


def discovery_runs(args: argparse.Namespace, runs: int) -> dict:
    """Runtime alone and the app, each run in a fresh process, alternating which goes first."""
    runtime_runs, app_runs = [], []
    for run in range(runs):
        order = ["discovery-runtime", "discovery-app"] if run % 2 == 0 else ["discovery-app", "discovery-runtime"]
        for part in order:
            result = run_part(part, args, timeout=120)
            (runtime_runs if part == "discovery-runtime" else app_runs).append(result)
    runtime_median = median([r["seconds"] for r in runtime_runs])
    app_median = median([r["discovery_seconds"] for r in app_runs])
    return {
        "runs": runs,
        "runtime": runtime_runs,
        "app": app_runs,
        "runtime_median_s": round(runtime_median, 3),
        "runtime_who_is_median_s": round(median([r["who_is_seconds"] for r in runtime_runs]), 3),
        "app_discovery_median_s": round(app_median, 3),
        "app_launch_to_tree_shown_median_s": round(median([r["launch_to_tree_shown"] for r in app_runs]), 3),
        "app_launch_to_mount_median_s": round(median([r["launch_to_mount"] for r in app_runs]), 3),
        "ratio": round(app_median / runtime_median, 2),
    }


# ----- part: headless launch (the comparison for the pty launch) -----------------------------------


async def part_headless_launch(devices: int) -> dict:
    from aso_runtime.bacnet import open_client
    from aso_runtime.sim import SimulatedBuilding

    vlan = vlan_name("headless")
    building = await SimulatedBuilding.start(vlan=vlan, devices=devices)
    client = await open_client(vlan=vlan, mac=1, instance=4194302, name="bench", timeout=3.0)
    print(READY_MARK, flush=True)  # started: the parent times fork -> here and fork -> done
    result = await runtime_discovery(client)
    emit(result)  # the parent times fork -> this line; closing is not part of it
    await client.close()
    await building.stop()
    return result


# ----- part: key latency, 50-device site ----------------------------------------------------------


async def part_latency(devices: int, presses: int) -> dict:
    from aso_runtime.bacnet.local import drop_virtual_network

    rng = random.Random(1)
    app = make_app(devices, "keys")
    out: dict = {"poll_interval_s": POLL_INTERVAL, "presses": presses}
    try:
        async with app.run_test(size=SIZE):
            while app.tree_complete.is_set() or not discovery_running(app):
                await asyncio.sleep(0.005)
            samples: dict = {"echo": [], "selection": []}
            first_discovery_presses = None

            def running() -> bool:
                nonlocal first_discovery_presses
                if first_discovery_presses is None and app.tree_complete.is_set():
                    first_discovery_presses = len(samples["echo"])
                return discovery_running(app)

            # During discovery: the first one, then F5-style re-runs (Who-Is and every device's points).
            with GcPauses() as pauses:
                await tree_presses(app, presses, rng, only_while=running, restart=app.explore.discover, samples=samples)
            out["tree_during_discovery"] = {k: summary(v) for k, v in samples.items()}
            out["tree_during_discovery"].update(presses_in_first_discovery=first_discovery_presses,
                                                gc=pauses.result())
            with GcPauses() as pauses:
                tabs = await tab_presses(app, presses, rng, only_while=lambda: discovery_running(app),
                                         restart=app.explore.discover)
            out["tabs_during_discovery"] = {**summary(tabs), "gc": pauses.result()}

            await asyncio.wait_for(app.tree_complete.wait(), 60)
            await app.workers.wait_for_complete()
            await settle(app)
            with GcPauses() as pauses:
                samples = await tree_presses(app, presses, rng)
            out["tree_while_polling"] = {k: summary(v) for k, v in samples.items()}
            out["tree_while_polling"]["gc"] = pauses.result()
            with GcPauses() as pauses:
                tabs = await tab_presses(app, presses, rng)
            out["tabs_while_polling"] = {**summary(tabs), "gc": pauses.result()}
            out["f2_while_polling"] = summary(await f2_presses(app, max(10, presses // 2), rng))
            out["f1_from_command_tab"] = await f1_from_command_tab(app)
            out["frames"] = app.frames
    finally:
        drop_virtual_network(app.bench_vlan)
    return out


# ----- part: the Trends tab, eight live series plotted while polling -----------------------------------

TREND_KEYS = ("left", "right", "plus", "minus", "space", "space", "f1", "f8")  # one round of presses
LOG_RECORDS = 10_000


def trend_points(app) -> list:
    """Eight numeric points of the demo: the AHU's supply air and fan speed, six zone temperatures, the kW."""
    vavs = sorted(i for i in app.site.devices if 2000 <= i < 3000)[:5]
    meter = min(i for i in app.site.devices if 4000 <= i < 5000)
    return [(AHU, "analog-input,2"), (AHU, "analog-output,1"), *[(i, "analog-input,1") for i in vavs],
            (meter, "analog-input,1")]


def trend_watch(app, key: str):
    """The first frame after ``key`` that shows its effect (the plot redrawn with the new window, or the tab)."""
    from aso_console.widgets.device_tree import DeviceTree

    trends = app.trends
    if key == "f1":
        tree = app.query_one(DeviceTree)
        return lambda: tree in app.screen._compositor.visible_widgets
    if key == "f8":
        return lambda: trends.plot in app.screen._compositor.visible_widgets
    before = (trends.scrolled_back, trends.window_seconds, trends.paused_at)
    return lambda: (trends.scrolled_back, trends.window_seconds, trends.paused_at) != before


async def trend_presses(app, count: int, rng: random.Random) -> dict:
    """Press TREND_KEYS round and round on the Trends tab: ms to the frame that shows each key."""
    samples: dict = {key: [] for key in dict.fromkeys(TREND_KEYS)}
    done = 0
    while done < count:
        for key in TREND_KEYS:
            if key == "right" and app.trends.scrolled_back == 0:
                await press(app, "left", {"shown": trend_watch(app, "left")})  # something to scroll forward to
            result = await press(app, key, {"shown": trend_watch(app, key)})
            samples[key].append(result["shown"])
            done += 1
            await asyncio.sleep(rng.uniform(0.02, 0.06))
    return samples


async def part_trends(devices: int, presses: int) -> dict:
    from aso_runtime.bacnet.local import drop_virtual_network
    from aso_runtime.sim.trends import fill, trend_log

    rng = random.Random(3)
    app = make_app(devices, "trends")
    out: dict = {"poll_interval_s": POLL_INTERVAL, "series": 8}
    try:
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(app.tree_complete.wait(), 60)
            await app.workers.wait_for_complete()
            keys = trend_points(app)
            for key in keys:
                app.trends.toggle(key)
            out["plotted"] = [f"{i} {o}" for i, o in keys]
            await press(app, "f8", {"shown": trend_watch(app, "f8")})
            deadline = time.monotonic() + 20
            while any(len(app.trends.history.series(k)) < 3 for k in keys) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)  # every line on the plot before measuring
            out["samples_per_series_at_start"] = [len(app.trends.history.series(k)) for k in keys]
            frames = app.frames
            with GcPauses() as pauses:
                samples = await trend_presses(app, presses, rng)
            everything = [v for values in samples.values() for v in values]
            out["all_keys"] = {**summary(everything), "gc": pauses.result()}
            out["per_key"] = {key: summary(values) for key, values in samples.items()}
            out["frames_during_presses"] = app.frames - frames

            # A 10,000-record trend log read into the same plot (ReadRange on the virtual network).
            if not hasattr(app.trends, "load_log"):
                return out  # a console from before trend logs (a baseline run)
            building = app.runtime.building
            vav = keys[2][0]
            log = trend_log(2, "Zone Temperature History", vav, building.point(vav, "analog-input,1"))
            building.application(vav).add_object(log)
            fill(log, LOG_RECORDS, start=time.time() - LOG_RECORDS - 60)
            app.trends.toggle(keys[-1])  # off: a plot holds eight series, the log is the eighth
            began = time.monotonic()
            shown = app.frame_when(lambda: (vav, "trend-log,2") in app.trends.history.logs)
            app.trends.load_log(vav, "trend-log,2")
            out["log_records"] = LOG_RECORDS
            try:
                out["log_read_to_plot_s"] = round(await asyncio.wait_for(shown, 30) - began, 3)
            except TimeoutError:
                raise RuntimeError(f"the trend log never reached the plot: {list(app.notices)[-3:]}") from None
            with GcPauses() as pauses:
                samples = await trend_presses(app, max(16, presses // 2), rng)
            everything = [v for values in samples.values() for v in values]
            out["all_keys_with_log"] = {**summary(everything), "gc": pauses.result()}
    finally:
        drop_virtual_network(app.bench_vlan)
    return out


# ----- part: latency with the building in another process (as on a site) ---------------------------------

UDP_SIM_PORT = 47970  # 127.0.0.1 only: the simulator's BBMD; the console binds the next port


async def part_latency_udp(devices: int, presses: int) -> dict:
    """Tree moves during discovery and while polling, the building served by ``aso sim`` in its own process.

    In the other parts the simulated building shares the console's process and
    loop (worst case: the loop also serves every request). On a site the
    devices are elsewhere; only the client's own decoding shares the loop.
    """
    from aso_console.runtime import ConsoleOptions

    sim = subprocess.Popen([str(ROOT / ".venv" / "bin" / "aso"), "--address", f"127.0.0.1/8:{UDP_SIM_PORT}", "sim",
                            "--devices", str(devices)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # `aso sim` prints its device table once every device is served.
        ready, _, _ = select.select([sim.stdout], [], [], 60)
        if not ready or not sim.stdout.read1():
            raise RuntimeError(f"aso sim did not start: {sim.stderr.read1().decode()[-500:]}")
        options = ConsoleOptions(address=f"127.0.0.1/8:{UDP_SIM_PORT + 1}", foreign=f"127.0.0.1:{UDP_SIM_PORT}",
                                 release_orphans=False)
        out: dict = {"poll_interval_s": POLL_INTERVAL}
        app = measured_app_class()(options=options, poll_interval=POLL_INTERVAL)
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(app.tree_complete.wait(), 60)
            rng = random.Random(4)
            samples: dict = {"echo": [], "selection": []}
            app.explore.discover()
            while not discovery_running(app):
                await asyncio.sleep(0.005)
            await tree_presses(app, presses, rng, only_while=lambda: discovery_running(app),
                               restart=app.explore.discover, samples=samples)
            out["tree_during_discovery"] = summary(samples["selection"])
            await asyncio.wait_for(app.tree_complete.wait(), 60)
            await app.workers.wait_for_complete()
            await settle(app)
            samples = await tree_presses(app, presses, rng)
            out["tree_while_polling"] = summary(samples["selection"])
            out["devices_found"] = len(app.site.devices)
            out["discovery_seconds"] = round(app.explore.discovery_seconds, 3)
        return out
    finally:
        sim.terminate()
        sim.wait(10)


# ----- part: big table (a device group of ~2,000 rows, polled live) ----------------------------------


async def part_big_table(devices: int, presses: int) -> dict:
    from aso_console.widgets.device_tree import DeviceTree
    from aso_console.widgets.point_table import PointTable
    from aso_runtime.bacnet.local import drop_virtual_network

    rng = random.Random(2)
    app = make_app(devices, "big", extra_ahu_points=BIG_GROUP)
    out: dict = {"poll_interval_s": POLL_INTERVAL, "extra_served_points": BIG_GROUP}
    try:
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(app.tree_complete.wait(), 120)
            await app.workers.wait_for_complete()
            out["discovery_seconds"] = round(app.explore.discovery_seconds, 3)
            tree = app.query_one(DeviceTree)
            table = app.query_one(PointTable)
            device_node = tree.device_node(AHU)
            device_node.expand()
            await app.next_frame()
            groups = {child.data.object_type: child for child in device_node.children if child.data}
            big = groups["analog-value"]
            before = device_node.children[list(device_node.children).index(big) - 1]
            tree.move_cursor(big)
            await asyncio.wait_for(app.frame_when(lambda: app.explore.selection == big.data), 10)
            out["rows"] = table.row_count
            await settle(app, 1.0)

            # Tree cursor between the small group above and the 2,000-row group: the table is rebuilt.
            into_big, out_of_big, echo_into = [], [], []
            tree.focus()
            for _ in range(max(10, presses // 5)):
                for key, target, sink in (("up", before, out_of_big), ("down", big, into_big)):
                    watches = {"echo": lambda target=target: tree.cursor_node == target,
                               "selection": lambda target=target: app.explore.selection == target.data}
                    result = await press(app, key, watches, timeout=10.0)
                    sink.append(result["selection"])
                    if key == "down":
                        echo_into.append(result["echo"])
                    await asyncio.sleep(rng.uniform(0.02, 0.06))
            out["tree_into_2000_row_group"] = {"echo": summary(echo_into), "selection": summary(into_big)}
            out["tree_out_of_2000_row_group"] = summary(out_of_big)

            # The cursor inside the 2,000-row table, while it is polled.
            await settle(app, 0.5)
            table.focus()
            samples = []
            with GcPauses() as pauses:
                for k in range(presses):
                    key = "down" if (k // 50) % 2 == 0 else "up"
                    row = table.cursor_row
                    target = row + 1 if key == "down" else row - 1
                    result = await press(app, key, {"row": lambda target=target: table.cursor_row == target})
                    samples.append(result["row"])
                    await asyncio.sleep(rng.uniform(0.02, 0.06))
            out["table_cursor_2000_rows"] = {**summary(samples), "gc": pauses.result()}
            out["frames"] = app.frames
    finally:
        drop_virtual_network(app.bench_vlan)
    return out


# ----- part: memory at 20,000 points -------------------------------------------------------------


POINT_KINDS = [
    ("analog-input", "Zone Temperature", "degrees-fahrenheit"),
    ("analog-output", "Damper Command", "percent"),
    ("analog-value", "Cooling Setpoint", "degrees-fahrenheit"),
    ("binary-input", "Fan Status", None),
    ("binary-output", "Fan Command", None),
    ("binary-value", "Occupancy Override", None),
    ("multi-state-value", "Operating Mode", None),
]


def synthetic_points(instance: int, name: str, count: int, kinds=POINT_KINDS) -> dict:
    from aso_runtime.bacnet import ObjectInfo

    points = {}
    numbers: dict[str, int] = {}
    for k in range(count):
        object_type, label, units = kinds[k % len(kinds)]
        number = numbers[object_type] = numbers.get(object_type, 0) + 1
        if object_type.startswith("analog"):
            value = 68.0 + (k % 100) / 10
        elif object_type.startswith("binary"):
            value = "active" if k % 3 else "inactive"
        else:
            value = 1 + k % 3
        object_id = f"{object_type},{number}"
        points[object_id] = ObjectInfo(device_instance=instance, object_id=object_id,
                                       name=f"{name} {label} {number:04d}", present_value=value, units=units,
                                       status_flags=[], out_of_service=False)
    return points


def add_synthetic_site(app, total_points: int) -> dict:
    """Top the site up to ``total_points`` with synthetic devices; render them in the tree."""
    from aso_console.widgets.device_tree import DeviceTree
    from aso_runtime.bacnet import DeviceInfo

    tree = app.query_one(DeviceTree)
    real = app.site.point_count()
    missing = total_points - real
    plan = [(9001, "SUP-1", BIG_GROUP, [("analog-value", "Zone Setpoint", "degrees-fahrenheit")])]
    rest = missing - BIG_GROUP
    others = 90
    for k in range(others):
        plan.append((9002 + k, f"FC-{k + 1:02d}", rest // others + (1 if k < rest % others else 0), POINT_KINDS))
    began = time.monotonic()
    for instance, name, count, kinds in plan:
        # A MAC on the demo's virtual network where nothing answers (the sim uses 2..N+1).
        info = DeviceInfo(instance=instance, address=f"0x{254 - len(app.site.devices) % 50:02x}",
                          vendor_id=999, max_apdu=1476, segmentation="segmented-both", network=None)
        device = app.site.add(info)
        device.name, device.model, device.vendor = name, "SYNTHETIC", "benchmark"
        device.points = synthetic_points(instance, name, count, kinds)
        tree.add_device(device)
        tree.show_points(instance)
    return {"real_points": real, "synthetic_points": sum(c for _, _, c, _ in plan),
            "synthetic_devices": len(plan), "tree_build_seconds": round(time.monotonic() - began, 3)}


async def part_memory(devices: int, presses: int) -> dict:
    from textual.widgets import Input

    from aso_console.widgets.device_tree import DeviceTree
    from aso_console.widgets.point_table import PointTable
    from aso_runtime.bacnet.local import drop_virtual_network

    out: dict = {"rss_mb": {}}
    out["rss_mb"]["after_imports"] = rss_mb()
    # The poller stays idle: the synthetic devices are not on the network.
    app = make_app(devices, "mem", poll_interval=3600)
    rng = random.Random(3)
    try:
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(app.tree_complete.wait(), 60)
            await app.workers.wait_for_complete()
            await settle(app)
            out["rss_mb"]["demo_site_discovered"] = rss_mb()
            out.update(add_synthetic_site(app, TARGET_POINTS))
            out["points_loaded"] = app.site.point_count()
            out["devices_loaded"] = len(app.site.devices)
            await app.next_frame(30)
            out["rss_mb"]["20k_points_in_site_and_tree"] = rss_mb()

            tree = app.query_one(DeviceTree)
            table = app.query_one(PointTable)
            node = tree.device_node(9001)
            tree.move_cursor(node)
            await asyncio.wait_for(app.frame_when(lambda: app.explore.selection == node.data), 30)
            out["table_rows"] = table.row_count
            out["rss_mb"]["plus_2000_row_table"] = rss_mb()

            began = time.monotonic()
            tree.expand_all()
            await app.next_frame(30)
            out["expand_all_seconds"] = round(time.monotonic() - began, 3)
            out["tree_lines"] = tree.last_line + 1
            tree.scroll_end(animate=False)
            await app.next_frame(30)
            out["rss_mb"]["plus_whole_tree_expanded"] = rss_mb()

            # Tree cursor with 20,000+ lines (selection of a point: its device's group in the table).
            tree.focus()
            tree.move_cursor(tree.device_node(9002))
            await app.next_frame(30)
            await settle(app)
            samples = await tree_presses(app, presses, rng, timeout=10.0)
            out["tree_cursor_20k_expanded"] = {k: summary(v) for k, v in samples.items()}

            # Filter keystrokes over 20,000 points (apply_filter rebuilds every device's nodes).
            filter_samples = []
            for _ in range(1 if presses < 100 else 2):
                await press(app, "slash", {"open": lambda: app.query_one("#filter", Input).has_focus}, char="/")
                typed = ""
                for char in "damper":
                    typed += char
                    result = await press(app, char, {"filtered": lambda typed=typed: tree.filter_text == typed},
                                         char=char, timeout=30.0)
                    filter_samples.append(result["filtered"])
                await press(app, "escape", {"cleared": lambda: tree.filter_text == ""}, timeout=30.0)
                await settle(app)
            out["filter_keystroke_20k"] = summary(filter_samples)
            out["rss_mb"]["after_filtering"] = rss_mb()
            out["rss_mb"]["peak_vmhwm"] = round(proc_status_mb("VmHWM"), 1)
    finally:
        drop_virtual_network(app.bench_vlan)
    return out


async def part_sim_memory(devices: int) -> dict:
    """What the in-process demo building itself costs (it is part of every figure above)."""
    from aso_runtime.bacnet.local import drop_virtual_network
    from aso_runtime.sim import SimulatedBuilding

    import aso_console.app  # noqa: F401 (same imports as the memory part)

    before = rss_mb()
    vlan = vlan_name("simmem")
    building = await SimulatedBuilding.start(vlan=vlan, devices=devices)
    after = rss_mb()
    await building.stop()
    drop_virtual_network(vlan)
    return {"rss_before_mb": before, "rss_with_building_mb": after, "building_mb": round(after - before, 1)}


# ----- pty: the real aso-console ---------------------------------------------------------------------

ESCAPES = re.compile(rb"\x1b\[[0-9;]*[Hf]|\r\n|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
STATUS = re.compile(rb"(\d+) device\(s\), (\d+) point\(s\) in ([\d.]+) s")
KEYS = {"f1": b"\x1bOP", "f4": b"\x1bOS", "down": b"\x1b[B", "up": b"\x1b[A"}
MARKERS = {"f4": b"aso.console: ", "f1": b"Units"}  # a log line's logger name; the point table's header


def plain(data: bytes) -> bytes:
    """Terminal output as text: cursor moves and line ends become newlines, other escapes vanish."""
    return ESCAPES.sub(lambda m: b"\n" if m.group(0).endswith((b"H", b"f", b"\n")) else b"", data)


class PtyConsole:
    def __init__(self, devices: int, tmp: str) -> None:
        import fcntl
        import pty
        import struct
        import termios

        env = child_env(tmp)
        env.update(TERM="xterm-256color", COLUMNS=str(SIZE[0]), LINES=str(SIZE[1]))
        self.spawned = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # child: the console on the pty's slave side
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
            os.execve(str(CONSOLE), [str(CONSOLE), "--demo", "--demo-devices", str(devices)], env)
        self.output = b""
        self.first_output: float | None = None

    def read_until(self, found, timeout: float, since: int = 0) -> float | None:
        """Read until ``found(plain text since offset)`` holds; returns the monotonic time or None."""
        deadline = time.monotonic() + timeout
        while True:
            text = plain(self.output[since:])
            if found(text):
                return time.monotonic()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            ready, _, _ = select.select([self.fd], [], [], min(remaining, 0.05))
            if ready:
                try:
                    chunk = os.read(self.fd, 1 << 16)
                except OSError:
                    return None
                if not chunk:
                    return None
                if self.first_output is None:
                    self.first_output = time.monotonic()
                self.output += chunk

    def drain(self, seconds: float) -> None:
        self.read_until(lambda text: False, seconds)

    def key(self, name: str, found, timeout: float = 3.0) -> float | None:
        self.drain(0)
        mark = len(self.output)
        sent = time.monotonic()
        os.write(self.fd, KEYS[name])
        shown = self.read_until(found, timeout, since=mark)
        return None if shown is None else (shown - sent) * 1000

    def close(self) -> None:
        try:
            os.write(self.fd, b"q")
            end = time.monotonic() + 5
            while time.monotonic() < end:
                pid, _ = os.waitpid(self.pid, os.WNOHANG)
                if pid:
                    return
                self.drain(0.1)
            os.kill(self.pid, signal.SIGTERM)  # the console's own clean-exit path
            time.sleep(2)
            if os.waitpid(self.pid, os.WNOHANG)[0] == 0:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        finally:
            os.close(self.fd)


def pty_runs(devices: int, runs: int, tab_presses_n: int, tree_presses_n: int) -> dict:
    from aso_runtime.sim.devices import building_specs

    names = {spec.instance: spec.name for spec in building_specs(devices)}
    order = sorted(names)
    details = {i: re.compile(re.escape(f"{i} {names[i]} ".encode()) + rb"\S+  (?:Local network|Network [0-9]+)  vendor")
               for i in order}
    launches, tabs, moves = [], [], []
    rng = random.Random(4)
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            console = PtyConsole(devices, tmp)
            try:
                status_at = console.read_until(lambda text: STATUS.search(text) is not None, 60)
                if status_at is None:
                    raise RuntimeError(f"aso-console never showed the discovery summary:\n{plain(console.output)[-2000:]}")
                match = STATUS.search(plain(console.output))
                launches.append({
                    "fork_to_tree_shown": status_at - console.spawned,
                    "fork_to_first_output": console.first_output - console.spawned,
                    "app_discovery_seconds": float(match.group(3)),
                    "devices": int(match.group(1)),
                    "points": int(match.group(2)),
                })
                if run < runs - 1:
                    continue
                console.drain(1.0)  # the first poll and the priority-array read settle
                # Tree moves first (F1 leaves nothing focused): the new device's details line,
                # shown with its point table.
                # The cursor starts on the first device (the router's, on the demo site): walk
                # down to the building's first device before measuring.
                for _ in range(4):
                    if console.key("down", lambda text: details[order[0]].search(text) is not None, 2.0):
                        break
                index = 0
                step = 1
                for _ in range(tree_presses_n):
                    if not 0 <= index + step < len(order):
                        step = -step
                    index += step
                    target = details[order[index]]
                    moves.append(console.key("down" if step > 0 else "up",
                                             lambda text, target=target: target.search(text) is not None))
                    console.drain(rng.uniform(0.02, 0.06))
                key = "f4"
                for _ in range(tab_presses_n):
                    tabs.append(console.key(key, lambda text, key=key: MARKERS[key] in text))
                    key = "f1" if key == "f4" else "f4"
                    console.drain(rng.uniform(0.02, 0.06))
            finally:
                console.close()
    return {
        "runs": launches,
        "fork_to_tree_shown_median_s": round(median([r["fork_to_tree_shown"] for r in launches]), 3),
        "fork_to_first_output_median_s": round(median([r["fork_to_first_output"] for r in launches]), 3),
        "app_discovery_median_s": round(median([r["app_discovery_seconds"] for r in launches]), 3),
        "tabs_f1_f4": summary(tabs),
        "tree_move_selection": summary(moves),
        "poll_interval_s": 2.0,
    }


def headless_launches(args: argparse.Namespace, runs: int) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--part", "headless-launch", "--devices", str(args.devices)]
    results = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            spawned = time.monotonic()
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=child_env(tmp),
                                    cwd=ROOT)
            try:
                ready = None
                for line in proc.stdout:
                    if line.startswith(READY_MARK.encode()):
                        ready = time.monotonic()
                    elif line.startswith(RESULT_MARK.encode()):
                        done = time.monotonic()
                        result = json.loads(line[len(RESULT_MARK):])
                        results.append({"fork_to_discovered": done - spawned, "fork_to_ready": ready - spawned,
                                        **result})
                        break
                proc.wait(30)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    return {"runs": results,
            "fork_to_discovered_median_s": round(median([r["fork_to_discovered"] for r in results]), 3),
            "fork_to_ready_median_s": round(median([r["fork_to_ready"] for r in results]), 3),
            "discovery_median_s": round(median([r["seconds"] for r in results]), 3)}


# ----- profiling (for README-console.md) -------------------------------------------------------------


async def profile_phase(phase: str, devices: int) -> None:
    import cProfile
    import pstats

    from aso_console.widgets.device_tree import DeviceTree
    from aso_runtime.bacnet.local import drop_virtual_network

    profiler = cProfile.Profile()
    extra = BIG_GROUP if phase == "big-table" else 0
    app = make_app(devices, "prof", poll_interval=3600 if phase == "filter" else 2.0, extra_ahu_points=extra)
    from aso_console.panes.explore import ExplorePane

    original = ExplorePane.discover

    def discover(self, *a, **k):
        if phase == "discovery":
            profiler.enable()
        return original(self, *a, **k)

    ExplorePane.discover = discover
    try:
        async with app.run_test(size=SIZE):
            await asyncio.wait_for(app.tree_complete.wait(), 120)
            profiler.disable()
            await app.workers.wait_for_complete()
            tree = app.query_one(DeviceTree)
            if phase == "filter":
                add_synthetic_site(app, TARGET_POINTS)
                await app.next_frame(30)
                profiler.enable()
                for text in ("d", "da", "dam", ""):
                    tree.apply_filter(text)
                    await app.next_frame(30)
                profiler.disable()
            elif phase == "trends":
                keys = trend_points(app)
                for key in keys:
                    app.trends.toggle(key)
                await press(app, "f8", {"shown": trend_watch(app, "f8")})
                await asyncio.sleep(3)
                profiler.enable()
                await trend_presses(app, 48, random.Random(3))
                profiler.disable()
            elif phase == "big-table":
                node = tree.device_node(AHU)
                node.expand()
                await app.next_frame()
                big = next(c for c in node.children if c.data and c.data.object_type == "analog-value")
                before = node.children[list(node.children).index(big) - 1]
                profiler.enable()
                for _ in range(5):
                    for target in (big, before):
                        tree.move_cursor(target)
                        await asyncio.wait_for(app.frame_when(lambda target=target: app.explore.selection == target.data), 10)
                profiler.disable()
            print(f"discovery_seconds={app.explore.discovery_seconds:.3f} frames={app.frames}")
    finally:
        ExplorePane.discover = original
        drop_virtual_network(app.bench_vlan)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


# ----- the report ------------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def latency_row(label: str, stats: dict) -> str:
    if not stats.get("n"):
        return f"| {label} | no samples ({stats.get('timeouts', 0)} timeouts) | < {AIM_KEY_MS:g} ms | **no** |"
    timeouts = f", {stats['timeouts']} timed out" if stats.get("timeouts") else ""
    gc_note = ""
    if stats.get("gc", {}).get("gen2_collections"):
        gc_note = f"; {stats['gc']['gen2_collections']} full GCs, longest {stats['gc']['gen2_max_ms']:.0f} ms"
    met = (f"median {verdict(stats['median'] < AIM_KEY_MS)}, p95 {verdict(stats['p95'] < AIM_KEY_MS)}"
           f"{', timeouts' if stats.get('timeouts') else ''}")
    return (f"| {label} | median {stats['median']:.0f} ms, p95 {stats['p95']:.0f} ms, max {stats['max']:.0f} ms "
            f"(n={stats['n']}{timeouts}{gc_note}) | < {AIM_KEY_MS:g} ms | {met} |")


def report(results: dict) -> str:
    rows = ["| Measure | Result | Aim | Met |", "| --- | --- | --- | --- |"]
    pty, headless, disc = results.get("pty"), results.get("headless_launch"), results.get("discovery")
    if pty and headless:
        ratio = pty["fork_to_tree_shown_median_s"] / headless["fork_to_discovered_median_s"]
        results["launch_ratio"] = round(ratio, 2)
        rows.append(f"| Launch to whole tree shown: real `aso-console` in a pty vs the same work headless, both fork "
                    f"to done (median of {len(pty['runs'])}) | {pty['fork_to_tree_shown_median_s']:.2f} s vs "
                    f"{headless['fork_to_discovered_median_s']:.2f} s = **x{ratio:.2f}** | <= x{AIM_LAUNCH_RATIO:.2f} "
                    f"| {verdict(ratio <= AIM_LAUNCH_RATIO)} |")
        rows.append(f"| ... of which startup: fork to first screen output (console) vs fork to client open "
                    f"(headless) | {pty['fork_to_first_output_median_s']:.2f} s vs "
                    f"{headless['fork_to_ready_median_s']:.2f} s | info | - |")
        if disc:
            literal = pty["fork_to_tree_shown_median_s"] / disc["runtime_median_s"]
            results["launch_vs_runtime_discovery_ratio"] = round(literal, 2)
            rows.append(f"| Launch (pty, fork) to whole tree vs runtime discovery alone (Who-Is to all points, no "
                        f"startup) | {pty['fork_to_tree_shown_median_s']:.2f} s vs {disc['runtime_median_s']:.2f} s "
                        f"= x{literal:.2f} | <= x{AIM_LAUNCH_RATIO:.2f} | {verdict(literal <= AIM_LAUNCH_RATIO)} |")
    if disc:
        rows.append(f"| Discovery phase: app Who-Is to whole tree vs runtime alone, each in a fresh process "
                    f"(median of {disc['runs']}, alternating) | {disc['app_discovery_median_s']:.2f} s vs "
                    f"{disc['runtime_median_s']:.2f} s = **x{disc['ratio']:.2f}** | <= x{AIM_LAUNCH_RATIO:.2f} | "
                    f"{verdict(disc['ratio'] <= AIM_LAUNCH_RATIO)} |")
        rows.append(f"| `run_test` launch to whole tree on screen (in-process; runtime opened in on_load: "
                    f"{disc['app_launch_to_mount_median_s']:.2f} s) | {disc['app_launch_to_tree_shown_median_s']:.2f} s "
                    f"| info | - |")
    if pty:
        rows.append(f"| pty: app's own discovery time (status line) | {pty['app_discovery_median_s']:.2f} s | info "
                    f"| - |")
    lat = results.get("latency")
    if lat:
        during = lat["tree_during_discovery"]
        rows.append(latency_row("Key: tree cursor during discovery, echo", during["echo"]))
        rows.append(latency_row("Key: tree cursor during discovery, selection (details + table)",
                                {**during["selection"], "gc": during["gc"]}))
        rows.append(latency_row("Key: F4/F1 tab switch during discovery", lat["tabs_during_discovery"]))
        rows.append(latency_row(f"Key: tree cursor while polling ({lat['poll_interval_s']:g} s), echo",
                                lat["tree_while_polling"]["echo"]))
        rows.append(latency_row("Key: tree cursor while polling, selection (details + table)",
                                {**lat["tree_while_polling"]["selection"], "gc": lat["tree_while_polling"]["gc"]}))
        rows.append(latency_row("Key: F4/F1 tab switch while polling", lat["tabs_while_polling"]))
        if "f2_while_polling" in lat:
            rows.append(latency_row("Key: F2 (Explore to command line) while polling", lat["f2_while_polling"]))
        bug = lat.get("f1_from_command_tab", {})
        if bug:
            works = bug.get("active_after_f1") == "explore"
            rows.append(f"| F1 from the Command tab brings Explore back | tab after F2, F1: "
                        f"{bug.get('active_after_f1')!r}, after another F1: {bug.get('active_after_second_f1')!r} "
                        f"(focus on {bug.get('focused_after_f1')}) | works | {verdict(works)} |")
    trends = results.get("trends")
    if trends:
        rows.append(latency_row(f"Key: Trends tab, {trends['series']} live series plotted while polling "
                                f"({trends['poll_interval_s']:g} s): Left/Right/+/-/space/F1/F8, all keys",
                                trends["all_keys"]))
        for key, stats in trends["per_key"].items():
            rows.append(latency_row(f"... {key}", stats))
        if "log_records" not in trends:
            return "\n".join(rows)  # a baseline from before trend logs: nothing else ran
        rows.append(f"| ReadRange of a {trends['log_records']:,}-record trend log into the plot (in-process) | "
                    f"{trends['log_read_to_plot_s']:.2f} s | < 1 s | {verdict(trends['log_read_to_plot_s'] < 1)} |")
        rows.append(latency_row("Key: Trends tab, 7 live series and the 10,000-record log, all keys",
                                trends["all_keys_with_log"]))
    udp = results.get("latency_udp")
    if udp:
        rows.append(latency_row("Key: tree cursor during discovery, building in its own process (UDP loopback), "
                                "selection", udp["tree_during_discovery"]))
        rows.append(latency_row("Key: tree cursor while polling, building in its own process, selection",
                                udp["tree_while_polling"]))
    if pty:
        rows.append(latency_row("pty: F4/F1 tab switch, write to screen bytes received", pty["tabs_f1_f4"]))
        rows.append(latency_row("pty: tree cursor, write to new device's details received", pty["tree_move_selection"]))
    big = results.get("big_table")
    if big:
        rows.append(latency_row(f"Key: cursor in a {big['rows']}-row table while polling", big["table_cursor_2000_rows"]))
        rows.append(latency_row(f"Key: tree cursor into the {big['rows']}-row group, echo",
                                big["tree_into_2000_row_group"]["echo"]))
        rows.append(latency_row(f"Key: tree cursor into the {big['rows']}-row group, table rebuilt",
                                big["tree_into_2000_row_group"]["selection"]))
        rows.append(latency_row(f"Key: tree cursor out of the {big['rows']}-row group, table rebuilt",
                                big["tree_out_of_2000_row_group"]))
    mem = results.get("memory")
    if mem:
        rss = mem["rss_mb"]
        peak = rss["peak_vmhwm"]
        rows.append(f"| RSS with {mem['points_loaded']:,} points ({mem['real_points']} real + "
                    f"{mem['synthetic_points']:,} synthetic, {mem['devices_loaded']} devices) in site and tree, "
                    f"{mem['table_rows']}-row table, whole tree expanded | "
                    f"{rss['plus_whole_tree_expanded']:.0f} MB (peak {peak:.0f} MB; 50-device demo alone "
                    f"{rss['demo_site_discovered']:.0f} MB) | < {AIM_RSS_MB:g} MB | {verdict(peak < AIM_RSS_MB)} |")
        rows.append(latency_row(f"Key: tree cursor, {mem['tree_lines']:,} tree lines expanded, selection",
                                mem["tree_cursor_20k_expanded"]["selection"]))
        rows.append(latency_row(f"Key: filter keystroke over {mem['points_loaded']:,} points",
                                mem["filter_keystroke_20k"]))
        rows.append(f"| Tree build for the synthetic points (show_points, all devices) | "
                    f"{mem['tree_build_seconds']:.2f} s; expand all {mem['expand_all_seconds']:.2f} s | info | - |")
    if results.get("sim_memory"):
        rows.append(f"| In-process demo building ({results['devices']} devices) share of RSS | "
                    f"{results['sim_memory']['building_mb']:.0f} MB | info | - |")
    return "\n".join(rows)


def environment() -> dict:
    import importlib.metadata as md

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout
    dirty = subprocess.run(["git", "status", "--porcelain", "aso_console", "aso_runtime"], capture_output=True,
                           text=True, cwd=ROOT).stdout
    return {"python": platform.python_version(), "textual": md.version("textual"), "bacpypes3": md.version("bacpypes3"),
            "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(), "platform": platform.platform(),
            "commit": commit.strip(), "uncommitted_changes_in_packages": bool(dirty.strip()),
            "date": time.strftime("%Y-%m-%d %H:%M:%S")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=50, help="simulated devices (default 50)")
    parser.add_argument("--quick", action="store_true", help="fewer runs and presses (a smoke run)")
    parser.add_argument("--output", type=Path, help=f"JSON results file (default {RESULTS.name})")
    parser.add_argument("--profile", choices=["discovery", "filter", "big-table", "trends"],
                        help="print a cProfile of one phase instead of benchmarking")
    parser.add_argument("--gc-freeze", action="store_true",
                        help="what-if: gc.freeze() at mount in the in-process parts (pty runs skipped; prints only "
                             "unless --output is given)")
    parser.add_argument("--only", help="comma-separated steps: pty,headless_launch,discovery,latency,latency_udp,"
                                       "trends,big_table,"
                                       "memory,sim_memory (default: all)")
    parser.add_argument("--part", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global GC_FREEZE
    GC_FREEZE = args.gc_freeze
    if args.output is None and not args.gc_freeze:
        args.output = RESULTS
    runs = 2 if args.quick else 5
    presses = 30 if args.quick else 100

    if args.profile:
        asyncio.run(profile_phase(args.profile, args.devices))
        return 0
    if args.part:
        parts = {
            "discovery-runtime": lambda: part_discovery_runtime(args.devices),
            "discovery-app": lambda: part_discovery_app(args.devices),
            "headless-launch": lambda: part_headless_launch(args.devices),
            "latency": lambda: part_latency(args.devices, presses),
            "latency-udp": lambda: part_latency_udp(args.devices, presses),
            "trends": lambda: part_trends(args.devices, presses),
            "big-table": lambda: part_big_table(args.devices, presses),
            "memory": lambda: part_memory(args.devices, presses // 2),
            "sim-memory": lambda: part_sim_memory(args.devices),
        }
        result = asyncio.run(parts[args.part]())
        if args.part != "headless-launch":
            emit(result)
        return 0

    began = time.monotonic()
    results: dict = {"devices": args.devices, "quick": args.quick, "gc_freeze_what_if": args.gc_freeze,
                     "environment": environment()}
    steps = [
        ("pty", lambda: pty_runs(args.devices, 2 if args.quick else 3, presses, presses // 2)),
        ("headless_launch", lambda: headless_launches(args, 2 if args.quick else 3)),
        ("discovery", lambda: discovery_runs(args, runs)),
        ("latency", lambda: run_part("latency", args)),
        ("latency_udp", lambda: run_part("latency-udp", args)),
        ("trends", lambda: run_part("trends", args)),
        ("big_table", lambda: run_part("big-table", args)),
        ("memory", lambda: run_part("memory", args)),
        ("sim_memory", lambda: run_part("sim-memory", args)),
    ]
    if args.gc_freeze:
        steps = [(name, step) for name, step in steps if name not in ("pty", "headless_launch")]
    if args.only:
        wanted = set(args.only.split(","))
        steps = [(name, step) for name, step in steps if name in wanted]
    for name, step in steps:
        started = time.monotonic()
        print(f"{name}...", file=sys.stderr, flush=True)
        results[name] = step()
        print(f"{name}: {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    results["environment"]["loadavg_at_end"] = os.getloadavg()
    results["wall_seconds"] = round(time.monotonic() - began, 1)
    table = report(results)
    results["table_markdown"] = table
    if args.output is not None:
        if args.only and args.output.exists():
            # A partial run updates its steps and keeps the others' numbers (and their table rows).
            merged = json.loads(args.output.read_text())
            merged.update({k: v for k, v in results.items() if k not in ("environment", "table_markdown", "wall_seconds")})
            merged.setdefault("environment_of_step", {}).update({name: results["environment"] for name, _ in steps})
            merged["table_markdown"] = report(merged)
            results = merged
        args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(table)
    print(f"\n{args.devices} simulated devices, {results['wall_seconds']:.0f} s"
          + (f"; wrote {args.output}" if args.output else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
