"""One error hierarchy for everything the BACnet client can raise.

bacpypes3 raises ``ErrorRejectAbortNack`` and friends, which derive from
``BaseException``: an ``except Exception`` in a script, a worker or a CLI misses
them. Every call into the stack goes through :func:`aso_runtime.bacnet.client`'s
boundary, which turns them into these ``Exception`` subclasses. Each message is
one line naming the device, object and property so that a technician can act on
it without a traceback.
"""

from __future__ import annotations


class BacnetError(Exception):
    """Base class: something went wrong talking to a BACnet device."""


class InvalidInput(BacnetError, ValueError):
    """What was typed or passed cannot be turned into a valid request.

    Raised before anything is sent: a malformed object id, an unknown property,
    a priority outside 1..16, a value of the wrong type, a bad address.
    """


class LocalNetworkError(BacnetError):
    """The local BACnet application cannot start (port busy, address not here)."""


class BacnetTimeout(BacnetError):
    """The device did not answer in time (dead, unreachable or overloaded)."""


class BacnetRemoteError(BacnetError):
    """The device answered with a BACnet Error (error class and error code)."""

    def __init__(self, message: str, error_class: str, error_code: str) -> None:
        super().__init__(message)
        self.error_class = error_class
        self.error_code = error_code


class BacnetReject(BacnetError):
    """The device rejected the request (malformed or unsupported service)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class BacnetAbort(BacnetError):
    """The transaction was aborted (for example segmentation not supported)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason
