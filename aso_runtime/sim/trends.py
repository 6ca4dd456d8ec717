"""Trend logs of the simulated building: each VAV's zone temperature and the meter's kW,
and one trend-log-multiple on the first VAV (zone temperature, airflow, damper command together).

``add_trend_log(pts, ...)`` adds a trend-log object (trend-log,1) to a
VAV's and the meter's points, logging the device's zone temperature / kW;
the model calls ``log_trends(points maps, clock)`` after every step, and each log records when at
least its log-interval (hundredths of a second, clause 12.25) of simulated
time has passed since its last record. The buffer holds ``BUFFER_SIZE``
records, the oldest dropped first (stop-when-full is FALSE).

``add_trend_log_multiple(pts, ...)`` adds trend-log-multiple,1 logging
several of a device's points in one record (``pts["trend_multiple"]``),
recorded by ``log_trends`` like the others.

``fill(log, count, ...)`` / ``fill_multiple`` write records straight into a
log (tests, benchmarks): 10,000 records in a fraction of a second.
"""

from __future__ import annotations

import math
from typing import Any

from bacpypes3.basetypes import DeviceObjectPropertyReference

from ..bacnet.read_range import FAULT, IN_ALARM, OUT_OF_SERVICE, OVERRIDDEN, ServedTrendLog, ServedTrendLogMultiple
from .points import raw

BUFFER_SIZE = 10000
LOG_INTERVAL = 100  # hundredths of a second: one record a simulated second at most
TREND_INSTANCE = 1


def trend_log(instance: int, name: str, device_instance: int, source: Any, *, buffer_size: int = BUFFER_SIZE,
              log_interval: int = LOG_INTERVAL) -> ServedTrendLog:
    """A polled trend log of ``source``'s present-value on the same device."""
    log = ServedTrendLog(
        objectIdentifier=("trend-log", instance),
        objectName=name,
        description=f"Trend of {source.objectName}",
        eventState="normal",
        statusFlags=[0, 0, 0, 0],
        reliability="no-fault-detected",
        enable=True,
        stopWhenFull=False,
        bufferSize=buffer_size,
        loggingType="polled",
        logInterval=log_interval,
        logDeviceObjectProperty=DeviceObjectPropertyReference(
            objectIdentifier=source.objectIdentifier,
            propertyIdentifier="present-value",
            deviceIdentifier=("device", device_instance),
        ),
    )
    log.log_from(source)
    return log


def add_trend_log(pts: dict[str, Any], name: str, device_instance: int, role: str) -> ServedTrendLog:
    """Add trend-log,1 logging ``pts[role]`` to a device's points (role ``"trend"``)."""
    source = pts[role]
    label = str(source.objectName).removeprefix(name + " ")
    pts["trend"] = trend_log(TREND_INSTANCE, f"{name} {label} Trend", device_instance, source)
    return pts["trend"]


def _status(source: Any) -> int:
    flags = raw(source, "statusFlags")
    if flags is None:
        return 0
    bits = list(flags)
    return (IN_ALARM * bits[0]) | (FAULT * bits[1]) | (OVERRIDDEN * bits[2]) | (OUT_OF_SERVICE * bits[3])


def log_trends(devices: list[dict[str, Any]], clock: float) -> None:
    """Record each device's trend logs whose log-interval has passed (after every model step).

    ``devices`` are the devices' points maps; their ``"trend"`` and
    ``"trend_multiple"`` are recorded, those without are skipped.
    """
    for pts in devices:
        log = pts.get("trend")
        if log is not None and _due(log, clock):
            value = raw(log.source, "presentValue")
            log.record(clock, None if value is None else float(value), _status(log.source))
        multiple = pts.get("trend_multiple")
        if multiple is not None and _due(multiple, clock):
            multiple.record(clock, [_present_value(source) for source in multiple.source])


def _due(log: Any, clock: float) -> bool:
    interval = int(log.logInterval) / 100
    last = log.last_epoch()
    return last is None or clock - last >= interval - 0.006  # records keep hundredths of a second


def _present_value(source: Any) -> float | None:
    value = raw(source, "presentValue")
    return None if value is None else float(value)


def trend_log_multiple(instance: int, name: str, device_instance: int, sources: list[Any], *,
                       buffer_size: int = BUFFER_SIZE, log_interval: int = LOG_INTERVAL) -> ServedTrendLogMultiple:
    """A polled trend-log-multiple of ``sources``' present-values on the same device, in that order."""
    log = ServedTrendLogMultiple(
        objectIdentifier=("trend-log-multiple", instance),
        objectName=name,
        description="Trend of " + ", ".join(str(source.objectName) for source in sources),
        eventState="normal",
        statusFlags=[0, 0, 0, 0],
        reliability="no-fault-detected",
        enable=True,
        stopWhenFull=False,
        bufferSize=buffer_size,
        loggingType="polled",
        logInterval=log_interval,
        logDeviceObjectProperty=[
            DeviceObjectPropertyReference(objectIdentifier=source.objectIdentifier, propertyIdentifier="present-value",
                                          deviceIdentifier=("device", device_instance))
            for source in sources],
    )
    log.log_from(list(sources))
    return log


def add_trend_log_multiple(pts: dict[str, Any], name: str, device_instance: int, roles: tuple[str, ...]) -> ServedTrendLogMultiple:
    """Add trend-log-multiple,1 logging ``pts[role]`` for each of ``roles`` (role ``"trend_multiple"``)."""
    pts["trend_multiple"] = trend_log_multiple(TREND_INSTANCE, f"{name} Zone Trend", device_instance,
                                               [pts[role] for role in roles])
    return pts["trend_multiple"]


def fill(log: ServedTrendLog, count: int, *, start: float, interval: float = 1.0,
         value: Any = None) -> None:
    """Write ``count`` records into ``log`` every ``interval`` s from ``start`` (epoch s).

    ``value(i)`` gives record i's value (default: a slow sine around 72).
    """
    make = value or (lambda i: round(72.0 + 2.0 * math.sin(i / 60.0), 3))
    for i in range(count):
        log.record(start + i * interval, make(i))


def fill_multiple(log: ServedTrendLogMultiple, count: int, *, start: float, interval: float = 1.0,
                  values: Any = None) -> None:
    """Write ``count`` records into a trend-log-multiple every ``interval`` s from ``start`` (epoch s).

    ``values(i)`` gives record i's values (default: a temperature, an airflow and a damper position).
    """
    width = len(log.logDeviceObjectProperty)
    make = values or (lambda i: [round(72.0 + 2.0 * math.sin(i / 60.0), 3), float(400 + i % 200),
                                 round(50.0 + 10.0 * math.cos(i / 90.0), 3)][:width] + [None] * (width - 3))
    for i in range(count):
        log.record(start + i * interval, make(i))
