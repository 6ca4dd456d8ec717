"""One row of the Alarms tab: an object's event state, which transitions wait for an acknowledgement, and when.

Filled from a listing (GetEventInformation, GetAlarmSummary, GetEnrollmentSummary: the Via
column says which) and updated in place by each event notification heard.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from aso_runtime.bacnet import EventNotice, EventSummary

VIA = {"get-event-information": "GEI", "get-alarm-summary": "GAS", "get-enrollment-summary": "GES",
       "notification": "EVT"}
TRANSITION_LETTERS = (("to-offnormal", "O"), ("to-fault", "F"), ("to-normal", "N"))


@dataclass
class AlarmRow:
    """What the table shows for one object (from a listing or a notification)."""

    instance: int
    object_id: str
    event_state: str
    acked: dict[str, bool]
    time_stamps: list[str | None]
    priority: int | None
    notify_type: str | None
    via: str

    @property
    def key(self) -> str:
        return f"{self.instance}|{self.object_id}"

    @property
    def unacknowledged(self) -> list[str]:
        return [t for t, _ in TRANSITION_LETTERS if not self.acked.get(t, True)]

    @property
    def transition(self) -> str:
        return "to-normal" if self.event_state == "normal" else "to-fault" if self.event_state == "fault" \
            else "to-offnormal"

    @property
    def active_stamp(self) -> str | None:
        index = [t for t, _ in TRANSITION_LETTERS].index(self.transition)
        return self.time_stamps[index] if index < len(self.time_stamps) else None

    @property
    def worth_showing(self) -> bool:
        return self.event_state != "normal" or bool(self.unacknowledged)

    @classmethod
    def of(cls, instance: int, event: EventSummary) -> AlarmRow:
        stamps = list(event.time_stamps or [None, None, None])
        index = [t for t, _ in TRANSITION_LETTERS].index(
            "to-normal" if event.event_state == "normal" else "to-fault" if event.event_state == "fault"
            else "to-offnormal")
        priority = event.priorities[index] if event.priorities and index < len(event.priorities) else None
        return cls(instance, event.object_id, event.event_state, dict(event.acked_transitions), stamps, priority,
                   event.notify_type, VIA.get(event.source, event.source))

    def heard(self, notice: EventNotice) -> None:
        """Apply a notification: the new state, its time stamp, and whether it waits for an acknowledgement."""
        self.event_state = notice.to_state
        index = [t for t, _ in TRANSITION_LETTERS].index(self.transition)
        while len(self.time_stamps) < 3:
            self.time_stamps.append(None)
        self.time_stamps[index] = notice.time_stamp
        if notice.ack_required is not None:
            self.acked[self.transition] = not notice.ack_required
        self.priority = notice.priority
        self.notify_type = notice.notify_type
        self.via = VIA["notification"]


def acked_text(row: AlarmRow) -> Text:
    """``O F N`` with the unacknowledged transitions in bold red (to-offnormal, to-fault, to-normal)."""
    text = Text()
    for transition, letter in TRANSITION_LETTERS:
        done = row.acked.get(transition, True)
        text.append(letter + " " if done else letter.lower() + "!", style="dim" if done else "bold red")
    return text


def since_text(stamp: str | None) -> str:
    """The time of day of a stamp (the date and hundredths left out: the column is 8 wide), ``#N`` as is."""
    if stamp is None:
        return "-"
    return stamp.split(" ")[-1][:8]
