"""The Trends tab (F8): p plots a point, values are recorded and drawn, ASO writes are marked."""

from __future__ import annotations

import csv

from aso_console.history import PointHistory, plotted_value

from .test_console import AHU, FAN_SPEED, opened, select_point, until

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
