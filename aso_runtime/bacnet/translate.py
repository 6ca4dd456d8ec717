"""bacpypes3 Error/Reject/Abort (BaseExceptions) -> our one-line Exceptions."""

from __future__ import annotations

from bacpypes3.apdu import AbortPDU, RejectPDU

from .errors import BacnetAbort, BacnetError, BacnetReject, BacnetRemoteError, BacnetTimeout


def translate(where: str, exc: BaseException) -> BacnetError:
    """bacpypes3 Error/Reject/Abort -> our exception, one line."""
    if isinstance(exc, RejectPDU):
        reason = str(getattr(exc, "apduAbortRejectReason", "other"))
        return BacnetReject(f"{where}: rejected by the device ({reason})", reason)
    if isinstance(exc, AbortPDU):
        reason = str(getattr(exc, "apduAbortRejectReason", "other"))
        if reason in ("no-response", "tsm-timeout"):
            return BacnetTimeout(f"{where}: no answer (device offline or unreachable?)")
        return BacnetAbort(f"{where}: aborted ({reason})", reason)
    # A WritePropertyMultiple-Error carries its class/code in error-type, and names the write that failed.
    error_type = getattr(exc, "errorType", None)
    source = exc if error_type is None else error_type
    error_class = str(getattr(source, "errorClass", "") or "unknown")
    error_code = str(getattr(source, "errorCode", "") or "unknown")
    failed = getattr(exc, "firstFailedWriteAttempt", None)
    if failed is not None and failed.objectIdentifier is not None:
        where = f"{where}, at {failed.objectIdentifier} {failed.propertyIdentifier or ''}".rstrip()
    hint = _HINTS.get(error_code, "")
    return BacnetRemoteError(f"{where}: {error_class}: {error_code}{hint}", error_class, error_code)


_HINTS = {
    "unknown-object": " (no such object on this device; check the point list with `aso discover`)",
    "unknown-property": " (this object type does not have that property)",
    "write-access-denied": " (property is read-only on this device; commandable points take a priority)",
    "value-out-of-range": " (the device refused the value's range)",
    "invalid-data-type": " (the device expects another data type)",
}
