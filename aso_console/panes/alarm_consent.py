"""This console in a notification class's recipient list, by consent (``n`` in the Alarms tab), and out again.

A controller sends its event notifications to the recipients listed in the
notification class its object reports to. ``n`` adds one entry for this
console (after a confirmation naming the device and the class), ``N`` takes
every entry it added out again, and so does the console's exit
(:meth:`RecipientConsent.remove_all`, bounded by the app). Each list is
written whole, read back, and each write goes into the audit journal,
the removal as the undo of its addition.
"""

from __future__ import annotations

from collections.abc import Callable

from aso_runtime.bacnet import (
    BacnetClient,
    BacnetError,
    Enrollment,
    add_this_client,
    remove_entry,
    short_id,
)
from aso_runtime.bacnet.recipients import this_client

from ..site import Site

# (instance, object_id, before, after, outcome, undoes=...) -> the audit record's id
Recorder = Callable[..., "str | None"]


class RecipientConsent:
    """The recipient-list entries this console added, each with the audit record id of its addition."""

    def __init__(self, client: BacnetClient, site: Site, record: Recorder) -> None:
        self.client = client
        self.site = site
        self.record = record
        self.enrollments: list[tuple[Enrollment, str | None]] = []

    async def target(self, instance: int, object_id: str) -> tuple[int, str]:
        """The notification class the object reports to (read from it) and its words: 'notification-class,N on device ...'."""
        number = int(await self.client.read(instance, object_id, "notification-class"))
        device = self.site.devices.get(instance)
        return number, f"notification-class,{number} on device {device.label if device else instance}"

    def holds(self, instance: int, number: int) -> bool:
        """Whether this console already added itself to that class (this run)."""
        return any(e.device == str(instance) and e.notification_class == f"notification-class,{number}"
                   for e, _ in self.enrollments)

    def question(self, object_id: str, where: str) -> str:
        entry = this_client(self.client, confirmed=True)
        return (f"Write the recipient-list of {where} ({short_id(object_id)} reports to it): the list as "
                f"read, plus one entry: {entry.text()}. Read back afterwards; taken out again when the console "
                "exits (or N).")

    async def add(self, instance: int, number: int) -> Enrollment:
        """Add this console's entry (recorded); raises the runtime's errors (recorded as failed too)."""
        try:
            enrollment = await add_this_client(self.client, instance, number, confirmed=True)
        except BacnetError as exc:
            self.record(instance, f"notification-class,{number}", None, None, str(exc))
            raise
        if enrollment.added:
            record_id = self.record(instance, enrollment.notification_class, list(enrollment.before),
                                    list(enrollment.after), "ok")
            self.enrollments.append((enrollment, record_id))
        return enrollment

    def removal_question(self) -> str:
        listed = ", ".join(f"{e.notification_class} on device {e.device}" for e, _ in self.enrollments)
        return (f"Take this console's entry out of the recipient-list of {listed}? Every other entry is left "
                "as it is; each list is read back.")

    async def remove_all(self) -> list[str]:
        """Take out every entry this console added (each recorded); returns the failures, one line each."""
        failed = []
        for enrollment, record_id in list(self.enrollments):
            try:
                after = await remove_entry(self.client, enrollment)
            except BacnetError as exc:
                self.record(int(enrollment.device), enrollment.notification_class, list(enrollment.after), None,
                            str(exc), undoes=record_id)
                failed.append(f"{enrollment.notification_class} on device {enrollment.device}: {exc}")
                continue
            if after is not None:
                self.record(int(enrollment.device), enrollment.notification_class, list(enrollment.after),
                            list(after), "ok", undoes=record_id)
            self.enrollments.remove((enrollment, record_id))
        return failed
