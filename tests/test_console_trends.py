"""The Trends tab (F8): p plots a point, values are recorded and drawn, ASO writes are marked;
trend logs and trend-log-multiples (a series per logged property) are read into the plot."""

from __future__ import annotations

import csv
import time

import pytest
from textual.widgets import TabbedContent

from aso_console.history import LogSeries, PointHistory, downsample, plotted_value
from aso_console.messages import Status
from aso_console.panes.trends import throttled
from aso_console.screens.trend_log_modal import TrendLogRequest, TrendLogScreen, parse_request
from aso_runtime.bacnet import InvalidInput
from aso_runtime.sim.trends import fill, fill_multiple, trend_log

from .test_console import AHU, FAN_SPEED, discovered, make_app, opened, select_point, until
from .test_console_inspector import inspect

SUPPLY_AIR = "analog-input,2"
NUDGE = '''
from aso_runtime import Aso

class Nudge(Aso):
    step_interval = 0.3

    async def on_step(self):
        await self.bacnet_write(1001, "analog-output,1", 33.0)
'''


def test_history_keeps_numbers_and_words_of_binary_points_bounded():
    history = PointHistory(samples=3)
    key = (1, "analog-value,1")
    for second, value in enumerate([1.0, "active", "inactive", True, "text", float("nan"), 5]):
        history.record(key, float(second), value)
    assert [v for _, v in history.series(key)] == [0.0, 1.0, 5.0]  # the last three numbers kept
    assert plotted_value("occupied") is None and plotted_value(2) == 2.0
    history.record(key, 6.0, 7.0)  # a second sample of the same instant is not kept
    assert history.series(key)[-1] == (6.0, 5.0)


async def test_p_plots_points_and_an_aso_write_is_marked(cleanup_vlans, tmp_path):
    async with opened(cleanup_vlans) as (app, pilot):
        for point in (FAN_SPEED, SUPPLY_AIR):
            await select_point(app, pilot, AHU, point)
            app.explore.points.focus()
            await pilot.pause()
            await pilot.press("p")
        trends = app.trends
        assert trends.plotted == [(AHU, FAN_SPEED), (AHU, SUPPLY_AIR)]
        script = tmp_path / "nudge.py"
        script.write_text(NUDGE)
        app.runtime.runner.load(str(script)).start()
        await until(lambda: trends.history.markers_of((AHU, FAN_SPEED)))
        await pilot.press("f8")
        await until(lambda: len(trends.history.series((AHU, SUPPLY_AIR))) >= 2)
        await pilot.pause(1.2)
        summary = str(trends.query_one("#trend-summary").render())
        assert "2 series" in summary and "ASO write(s) marked" in summary
        await pilot.press("space")
        assert "paused" in str(trends.query_one("#trend-summary").render())
        await pilot.press("minus")
        assert trends.window_seconds == 900
        exported = tmp_path / "trend.csv"
        trends.write_csv(exported)
        rows = list(csv.reader(exported.open()))
        assert rows[0] == ["time", "device", "object_id", "value"] and len(rows) > 2
        await app.runtime.runner.stop_all()


# ----- trend logs in the plot (issue 13) ------------------------------------------------------------

VAV = 2001
ZONE_TEMP = "analog-input,1"
HISTORY_LOG = "trend-log,2"  # served for these tests only: static, 10,000 records, logging the zone temperature
RECORDS = 10_000


def test_downsample_keeps_each_columns_extremes_in_order():
    samples = [(float(i), float(i % 10)) for i in range(RECORDS)]
    samples[5_000] = (5_000.0, 99.0)  # one spike must survive thinning
    drawn = downsample(samples, 0.0, float(RECORDS), 100)
    assert len(drawn) <= 200 and (5_000.0, 99.0) in drawn
    assert [t for t, _ in drawn] == sorted(t for t, _ in drawn)
    assert {v for _, v in drawn} == {0.0, 9.0, 99.0}
    assert downsample(samples[:50], 0.0, 100.0, 100) == samples[:50]  # few samples: all drawn
    assert downsample(samples, 100.0, 119.0, 100) == samples[100:120]  # only the window


def test_a_log_keeps_every_record_for_csv_and_is_never_extended_by_live_values():
    history = PointHistory()
    key = (VAV, "trend-log,1")
    records = ((1.0, 70.0), (2.0, None), (3.0, 71.5))  # a log-status record in the middle
    history.load_log(LogSeries(key, "Zone Temperature Trend", "°F", "", 3600.0, 4.0, records))
    history.record(key, 5.0, 80.0)  # a live value for the same key: not part of the log
    assert history.series(key) == [(1.0, 70.0), (3.0, 71.5)]
    assert [row[3] for row in history.csv_rows([key])] == [70.0, "", 71.5]


def serve_history_log(app) -> list:
    """trend-log,2 on VAV 2001, 10,000 records of the last 2.8 h (genuine bacpypes3 object); its values."""
    building = app.runtime.building
    log = trend_log(2, "VAV-1-01 Zone Temperature History", VAV, building.point(VAV, ZONE_TEMP))
    building.application(VAV).add_object(log)
    fill(log, RECORDS, start=time.time() - RECORDS - 60)
    return [round(entry.value, 3) for entry in log.entries()]


async def test_l_reads_a_trend_log_into_the_plot_beside_live_points_and_exports_every_record(cleanup_vlans,
                                                                                                 tmp_path):
    async with opened(cleanup_vlans) as (app, pilot):
        served = serve_history_log(app)
        trends = app.trends
        await select_point(app, pilot, AHU, FAN_SPEED)
        app.explore.points.focus()
        await pilot.press("p")  # a live series first
        await pilot.press("f8")
        await pilot.press("l")
        await until(lambda: isinstance(app.screen, TrendLogScreen))
        await pilot.press(*f"{VAV} tl 2")
        await pilot.press("enter")  # the window stays 24h
        log_key = (VAV, HISTORY_LOG)
        await until(lambda: log_key in trends.history.logs)
        assert trends.plotted == [(AHU, FAN_SPEED), log_key]
        label = trends.label(log_key)
        assert label == f"{VAV} VAV-1-01 Zone Temperature History log (°F)"
        assert str(trends.series_list.get_option_at_index(1).prompt) == label
        assert "2 series (1 log)" in str(trends.query_one("#trend-summary").render())
        assert trends.window_seconds == 4 * 3600  # widened to show the whole log
        assert [round(v, 3) for _, v in trends.history.series(log_key)] == served
        status = str(app.query_one("#status").render())
        assert f"{RECORDS} record(s)" in status

        # Live values keep coming for the fan speed; the log stays as it was read.
        log_before = trends.history.series(log_key)
        live_before = len(trends.history.series((AHU, FAN_SPEED)))
        await until(lambda: len(trends.history.series((AHU, FAN_SPEED))) >= live_before + 2)
        assert trends.history.series(log_key) == log_before

        exported = tmp_path / "trend.csv"
        trends.write_csv(exported)
        rows = list(csv.reader(exported.open()))[1:]
        log_rows = [row for row in rows if row[2] == HISTORY_LOG]
        assert [round(float(row[3]), 3) for row in log_rows] == served  # every record, not the thinned plot
        assert any(row[2] == FAN_SPEED for row in rows)

        # r reads it again: records logged since then come with it (the buffer holds 10,000: the oldest go).
        newest = time.time() - 1
        fill(app.runtime.building.point(VAV, HISTORY_LOG), 5, start=newest - 4)
        trends.series_list.highlighted = 1
        await pilot.press("r")
        await until(lambda: abs(trends.history.series(log_key)[-1][0] - newest) < 0.011)
        assert len(trends.history.series(log_key)) == RECORDS


async def test_t_in_the_inspector_of_a_trend_log_plots_its_buffer(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, VAV, "trend-log,1")
        await pilot.press("t")
        await until(lambda: (VAV, "trend-log,1") in app.trends.history.logs)
        assert app.screen is not screen and app.query_one(TabbedContent).active == "trends"
        assert app.trends.label((VAV, "trend-log,1")).endswith("Trend log (°F)")
        assert app.trends.history.series((VAV, "trend-log,1"))  # the sim has logged since it started


async def test_t_does_nothing_on_other_objects(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        screen = await inspect(app, pilot, VAV, ZONE_TEMP)
        await pilot.press("t")
        await pilot.pause()
        assert app.screen is screen and not app.trends.plotted


# ----- trend-log-multiple: a series per logged property (issue 13) ----------------------------------

MULTIPLE = "trend-log-multiple,1"  # VAV-1-01's: zone temperature, airflow, damper command
COLUMNS = [f"{MULTIPLE}[{column}]" for column in (1, 2, 3)]


def test_throttled_shows_the_first_count_then_at_most_one_per_interval():
    now = [0]
    shown: list[int] = []
    show = throttled(shown.append, every=4, clock=lambda: now[0])
    for count in range(1, 11):  # ten pages, one a tick: shown on ticks 0, 4 and 8
        show(count * 100)
        now[0] += 1
    assert shown == [100, 500, 900]


def test_the_trend_log_dialog_takes_a_trend_log_multiple_and_refuses_other_objects():
    assert parse_request(f"{VAV} tlm 1", "2h") == TrendLogRequest(VAV, MULTIPLE, 7200.0)
    with pytest.raises(InvalidInput, match="not a trend log"):
        parse_request(f"{VAV} ai 1", "2h")


def served_multiple(app, count: int) -> list[tuple]:
    """VAV-1-01's trend-log-multiple with ``count`` more records, then disabled (the sim logs no more): its records."""
    log = app.runtime.building.point(VAV, MULTIPLE)
    fill_multiple(log, count, start=log.last_epoch() + 0.01, interval=0.01)
    log.enable = False  # same tick as the fill: the buffer read is the buffer served
    return [tuple(round(v, 3) for v in entry.value) for entry in log.entries()]


async def test_a_trend_log_multiple_plots_a_series_per_logged_property_with_progress(cleanup_vlans, tmp_path):
    statuses: list[str] = []
    app = make_app()
    cleanup_vlans.append(app)
    hook = lambda message: statuses.append(message.text) if isinstance(message, Status) else None  # noqa: E731
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await discovered(app, pilot)
        served = served_multiple(app, 2000)
        trends = app.trends
        await pilot.press("f8")
        await pilot.press("l")
        await until(lambda: isinstance(app.screen, TrendLogScreen))
        await pilot.press(*f"{VAV} tlm 1")
        await pilot.press("enter")
        keys = [(VAV, column) for column in COLUMNS]
        await until(lambda: trends.plotted == keys)
        assert [trends.label(k) for k in keys] == [f"{VAV} VAV-1-01 Zone Temperature log (°F)",
                                                   f"{VAV} VAV-1-01 Airflow log (cfm)",
                                                   f"{VAV} VAV-1-01 Damper Command log (%)"]
        assert "3 series (3 log)" in str(trends.query_one("#trend-summary").render())
        for index, key in enumerate(keys):
            assert [round(v, 3) for _, v in trends.history.series(key)] == [values[index] for values in served]

        # The status line counted the records while they came, then said how many.
        counting = [text for text in statuses if text.startswith(f"Reading {VAV} {MULTIPLE}: ")
                    and text.endswith(" records...")]
        counts = [int(text.split(": ")[1].split()[0].replace(",", "")) for text in counting]
        assert counts and counts == sorted(counts) and counts[-1] <= len(served)
        await until(lambda: f"{len(served)} record(s)" in str(app.query_one("#status").render()))

        exported = tmp_path / "trend.csv"
        trends.write_csv(exported)
        rows = list(csv.reader(exported.open()))[1:]
        assert len(rows) == 3 * len(served)  # every record of every column, not the thinned plot
        for index, column in enumerate(COLUMNS):
            assert [round(float(row[3]), 3) for row in rows if row[2] == column] == [v[index] for v in served]

        # x takes the airflow off; r on the zone temperature reads the log again for the two left.
        first_read = trends.history.logs[keys[0]].read_at
        trends.series_list.highlighted = 1
        await pilot.press("x")
        assert trends.plotted == [keys[0], keys[2]]
        trends.series_list.highlighted = 0
        await pilot.press("r")
        await until(lambda: trends.history.logs[keys[0]].read_at > first_read)
        await until(lambda: trends.history.logs[keys[2]].read_at > first_read)
        assert trends.plotted == [keys[0], keys[2]] and keys[1] not in trends.history.logs


async def test_t_in_the_inspector_of_a_trend_log_multiple_plots_its_columns(cleanup_vlans):
    async with opened(cleanup_vlans) as (app, pilot):
        await inspect(app, pilot, VAV, MULTIPLE)
        await pilot.press("t")
        await until(lambda: app.trends.plotted == [(VAV, column) for column in COLUMNS])
        assert app.query_one(TabbedContent).active == "trends"
        assert app.trends.label((VAV, COLUMNS[1])) == f"{VAV} VAV-1-01 Airflow log (cfm)"
