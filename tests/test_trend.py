"""Trend logs served by the simulator, read with ReadRange (issue 13).

The served buffer (``ServedTrendLog.entries``) is the independent truth; the
client's records, read by position, by sequence number and by time, page by
page, must equal it. The same for the trend-log-multiple of VAV-1-01 (zone
temperature, airflow, damper command in each record). The EPICS check of a
VAV (which now serves a trend log and claims ReadRange) stays clean; `aso
trend` works against `aso sim`, a trend-log-multiple with a column per property.
"""

from __future__ import annotations

import csv as csv_module
import io
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest
from bacpypes3.errors import ParameterOutOfRange

from aso_runtime.bacnet import BacnetReject, MultiTrendRecord, TrendRecord, logged_columns, read_range
from aso_runtime.sim.trends import fill, fill_multiple

from .sim_site import sim_site
from .ports import lease

ROOT = Path(__file__).resolve().parent.parent
SIM_PORTS = range(50441, 50460, 2)  # the client `aso sim` suggests takes port + 1
_names = itertools.count()


@pytest.fixture
async def site():
    async with sim_site("trend", devices=8, step=3600.0, timeout=5.0) as both:  # the model stays put
        yield both


def _served(log) -> list[tuple[int, float, float]]:
    return [(e.sequence, round(e.epoch, 2), round(e.value, 3)) for e in log.entries()]


def _read(records) -> list[tuple[int, float, float]]:
    return [(r.sequence, round(r.epoch, 2), round(r.value, 3)) for r in records]


def _fresh(building, instance: int, count: int, start: float):
    """The device's trend log, refilled with ``count`` records from ``start`` (after the start-up record)."""
    log = building.point(instance, "trend-log,1")
    fill(log, count, start=start, interval=1.0)
    return log


async def test_by_sequence_and_time_equal_the_served_buffer(site):
    building, client = site
    log = _fresh(building, 2001, 500, time.time() + 10)
    served = _served(log)
    assert len(served) == 501
    by_sequence = await read_range(client, 2001, "trend-log,1", by="sequence")
    assert _read(by_sequence) == served
    since = log.entries()[100].epoch
    by_time = await read_range(client, 2001, "trend-log,1", since=since)
    assert _read(by_time) == served[101:]  # strictly after
    by_position = await read_range(client, 2001, "trend-log,1", by="position")
    assert [(round(r.epoch, 2), round(r.value, 3)) for r in by_position] == [s[1:] for s in served]


async def test_count_takes_the_newest_or_the_first_after_since(site):
    building, client = site
    log = _fresh(building, 2002, 300, time.time() + 10)
    served = _served(log)
    newest = await read_range(client, 2002, "tl,1", count=7)
    assert _read(newest) == served[-7:]
    first = await read_range(client, 2002, "tl,1", since=log.entries()[10].epoch, count=5)
    assert _read(first) == served[11:16]
    by_position = await read_range(client, 2002, "tl,1", count=4, by="position")
    assert [round(r.value, 3) for r in by_position] == [s[2] for s in served[-4:]]


async def test_a_full_10000_record_log_pages_and_drops_the_oldest(site):
    building, client = site
    log = _fresh(building, 2003, 10050, time.time() + 10)  # buffer-size 10000: the oldest 51 are gone
    served = _served(log)
    assert len(served) == 10000 and served[0][0] == 52
    records = await read_range(client, 2003, "trend-log,1", by="sequence")
    assert _read(records) == served
    by_time = await read_range(client, 2003, "trend-log,1", since=log.entries()[0].epoch - 1)
    assert _read(by_time) == served
    # The meter: max APDU 480, so many more pages; still the same buffer.
    meter = _fresh(building, 4001, 2000, time.time() + 10)
    assert _read(await read_range(client, 4001, "trend-log,1", by="sequence")) == _served(meter)


async def test_progress_counts_the_records_read_page_by_page_up_to_the_total(site):
    building, client = site
    meter = _fresh(building, 4001, 600, time.time() + 10)  # max APDU 480: a few dozen records a page
    counts: list[int] = []
    records = await read_range(client, 4001, "trend-log,1", by="sequence", progress=counts.append)
    assert _read(records) == _served(meter)
    assert len(counts) > 5 and counts == sorted(set(counts)) and counts[-1] == len(records) == 601
    counts.clear()
    newest = await read_range(client, 4001, "trend-log,1", count=100, progress=counts.append)
    assert len(counts) > 1 and counts == sorted(set(counts)) and counts[-1] == len(newest) == 100
    counts.clear()  # by position the time filter is ours: every record read counts, then the older are dropped
    since = meter.entries()[300].epoch
    after = await read_range(client, 4001, "trend-log,1", since=since, by="position", progress=counts.append)
    assert len(after) == sum(e.epoch > since for e in meter.entries()) < 601
    assert counts == sorted(set(counts)) and counts[-1] == 601
    counts.clear()
    multiple = await read_range(client, 2001, "tlm,1", by="time", progress=counts.append)  # the short form
    assert counts and counts[-1] == len(multiple) >= 1


async def test_a_device_without_trend_logs_rejects_read_range(site):
    _, client = site
    with pytest.raises(BacnetReject):
        await read_range(client, 1001, "trend-log,1")


async def test_the_sim_logs_each_step_into_its_trend_logs(site):
    building, _ = site
    log = building.point(2001, "trend-log,1")
    before = int(log.totalRecordCount)
    building.advance(5, dt=1.0)
    assert int(log.totalRecordCount) == before + 5
    zone = building.point(2001, "analog-input,1")
    assert abs(log.entries()[-1].value - float(zone.presentValue)) < 1e-3


# ----- trend-log-multiple, pages of different sizes, fallbacks -----------------------------------


def _served_multiple(log) -> list[tuple]:
    return [(e.sequence, round(e.epoch, 2), tuple(None if v is None else round(v, 3) for v in e.value))
            for e in log.entries()]


def _read_multiple(records) -> list[tuple]:
    return [(r.sequence, round(r.epoch, 2), tuple(None if v is None else round(v, 3) for v in r.values))
            for r in records]


def _fresh_multiple(building, count: int, *, values=None):
    """VAV-1-01's trend-log-multiple with ``count`` more records, logged after the ones it has."""
    log = building.point(2001, "trend-log-multiple,1")
    fill_multiple(log, count, start=log.last_epoch() + 1, values=values)
    return log


async def test_trend_log_multiple_reads_every_record_across_pages_by_sequence_time_and_position(site):
    building, client = site
    log = _fresh_multiple(building, 3000)
    served = _served_multiple(log)
    assert len(served) == 3001  # the start-up record and ours
    by_sequence = await read_range(client, 2001, "trend-log-multiple,1", by="sequence")
    assert all(isinstance(r, MultiTrendRecord) and r.kind == "value" for r in by_sequence)
    assert _read_multiple(by_sequence) == served
    since = log.entries()[1000].epoch
    assert _read_multiple(await read_range(client, 2001, "trend-log-multiple,1", since=since)) == served[1001:]
    by_position = await read_range(client, 2001, "trend-log-multiple,1", by="position")
    assert [r[1:] for r in _read_multiple(by_position)] == [s[1:] for s in served]
    assert {r.sequence for r in by_position} == {None}  # by position a device gives no sequence numbers


async def test_trend_log_multiple_count_and_columns(site):
    building, client = site
    log = _fresh_multiple(building, 200)
    served = _served_multiple(log)
    assert _read_multiple(await read_range(client, 2001, "trend-log-multiple,1", count=5)) == served[-5:]
    first = await read_range(client, 2001, "trend-log-multiple,1", since=log.entries()[20].epoch, count=3)
    assert _read_multiple(first) == served[21:24]
    columns = await logged_columns(client, 2001, "trend-log-multiple,1")
    assert columns == ["VAV-1-01 Zone Temperature", "VAV-1-01 Airflow", "VAV-1-01 Damper Command"]


async def test_the_sim_logs_its_trend_log_multiple_from_the_points(site):
    building, client = site
    log = building.point(2001, "trend-log-multiple,1")
    before = int(log.totalRecordCount)
    building.advance(3, dt=1.0)
    assert int(log.totalRecordCount) == before + 3
    newest = (await read_range(client, 2001, "trend-log-multiple,1", count=1))[0]
    points = [building.point(2001, p) for p in ("analog-input,1", "analog-input,2", "analog-output,1")]
    assert newest.values == pytest.approx([float(p.presentValue) for p in points], abs=1e-3)


async def test_records_of_different_sizes_page_without_gaps(site):
    building, client = site
    # A null datum is 4 octets shorter than a REAL: pages hold different numbers of records, and a
    # window of pages asked together must not leave any out (or repeat any).
    log = building.point(2002, "trend-log,1")
    fill(log, 2500, start=log.last_epoch() + 1, value=lambda i: None if i % 7 < 3 else float(i))
    served = [None if e.value is None else round(e.value, 3) for e in log.entries()]
    assert served.count(None) > 1000
    for by in ("sequence", "position"):
        records = await read_range(client, 2002, "trend-log,1", by=by)
        assert [None if r.value is None else round(r.value, 3) for r in records] == served, by
    multiple = _fresh_multiple(building, 2500, values=lambda i: [None, None, None] if i % 5 == 0 else [1.0, 2.0, True])
    records = await read_range(client, 2001, "trend-log-multiple,1", by="sequence")
    assert _read_multiple(records) == _served_multiple(multiple)


def _refusing(app, kinds: set[str]):
    """Make ``app`` answer ReadRange like an older device: Reject(parameter-out-of-range) for ``kinds``."""
    served = app.do_ReadRangeRequest

    async def refuse(self, apdu):  # noqa: ANN001, ANN202
        wanted = apdu.range
        asked = {name for name in ("byTime", "bySequenceNumber", "byPosition")
                 if wanted is not None and getattr(wanted, name) is not None}
        if asked & kinds:
            raise ParameterOutOfRange()
        await served(apdu)

    app.do_ReadRangeRequest = types.MethodType(refuse, app)


async def test_a_device_refusing_time_and_sequence_is_read_by_position(site):
    building, client = site
    log = _fresh_multiple(building, 400)
    served = _served_multiple(log)
    _refusing(building.application(2001), {"byTime", "bySequenceNumber"})
    since = log.entries()[100].epoch
    by_time = await read_range(client, 2001, "trend-log-multiple,1", since=since, count=10)
    assert [r[1:] for r in _read_multiple(by_time)] == [s[1:] for s in served[101:111]]
    by_sequence = await read_range(client, 2001, "trend-log,1", by="sequence")
    assert [round(r.epoch, 2) for r in by_sequence] == [round(e.epoch, 2) for e in building.point(2001, "trend-log,1").entries()]
    assert all(isinstance(r, TrendRecord) for r in by_sequence)
    with pytest.raises(BacnetReject):  # asked by position and refused: nothing left to fall back to
        _refusing(building.application(2001), {"byPosition"})
        await read_range(client, 2001, "trend-log-multiple,1", by="position")


async def test_the_vav_passes_the_epics_check():
    from .test_epics import report_for

    report = await report_for("vav")
    assert report.clean, report.text()
    assert "read-range" in report.services_claimed


def test_aso_trend_against_aso_sim():
    env = {k: v for k, v in os.environ.items() if k not in ("ASO_ADDRESS", "COLUMNS")}
    env["PYTHONPATH"] = str(ROOT)
    with lease(SIM_PORTS) as port:
        process = subprocess.Popen(
            [sys.executable, "-m", "aso_runtime.cli.main", "--json", "sim", "--address", f"127.0.0.1/8:{port}",
             "--devices", "8", "--step", "0.2"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        try:
            lines: list[str] = []
            while not lines or lines[-1] != "}\n":
                line = process.stdout.readline()
                assert line, process.stderr.read()
                lines.append(line)
            announced = json.loads("".join(lines))
            command = announced["discover_command"].split()
            where = {d["instance"]: d["address"] for d in announced["devices"]}
            options = command[command.index("whois") + 1:]  # --address and --foreign (the sim's BBMD)
            deadline = time.monotonic() + 20
            while True:
                result = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", *options, "--json", "trend",
                                         where[2001], "trend-log,1", "--since", "1h"],
                                        capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)
                assert result.returncode == 0, result.stderr
                document = json.loads(result.stdout)
                if document["count"] >= 3 or time.monotonic() > deadline:
                    break
            assert document["count"] >= 3
            assert all(isinstance(r["value"], float) for r in document["records"])
            csv = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", *options, "trend", where[4001], "tl,1",
                                  "--count", "2", "--csv"], capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)
            assert csv.returncode == 0, csv.stderr
            assert csv.stdout.splitlines()[0].startswith("time,epoch,value")
            assert len(csv.stdout.splitlines()) == 3
            # trend-log-multiple: a column per logged property, named from log-device-object-property
            columns = ["VAV-1-01 Zone Temperature", "VAV-1-01 Airflow", "VAV-1-01 Damper Command"]
            table = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", *options, "trend", where[2001],
                                    "trend-log-multiple,1", "--count", "3", "--csv"],
                                   capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)
            assert table.returncode == 0, table.stderr
            rows = list(csv_module.reader(io.StringIO(table.stdout)))
            assert rows[0] == ["time", "epoch", *columns, "kind", "sequence"]
            assert len(rows) == 4 and all(float(row[2]) > 0 and row[5] == "value" for row in rows[1:])
            multiple = subprocess.run([sys.executable, "-m", "aso_runtime.cli.main", *options, "--json", "trend",
                                       where[2001], "trend-log-multiple,1", "--since", "1h", "--by", "position"],
                                      capture_output=True, text=True, timeout=30, env=env, cwd=ROOT)
            assert multiple.returncode == 0, multiple.stderr
            document = json.loads(multiple.stdout)
            assert document["columns"] == columns and document["count"] >= 3
            assert all(len(r["values"]) == 3 for r in document["records"])
            process.send_signal(signal.SIGINT)
            process.communicate(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
