"""Who every device we serve says it is: the same vendor, the package's version.

An integrator reads vendor-name, model-name, firmware-revision,
application-software-version and description (bacnet-stack's EPICS tool
prints description as the "Product Description") before adding a device to
a BAS. bacpypes3's defaults ("BACpypes", "N/A", "1.0", no description) say
nothing; these say what the device is and which release serves it.

The vendor identifier defaults to 999 (ASHRAE's identifier for testing: we
have no registered one). A site that needs another sets
``LocalDevice.vendor_id``; a vendor-name then belongs with it
(``LocalDevice.vendor_name``).
"""

from __future__ import annotations

import bacpypes3

from .. import __version__

DEFAULT_VENDOR_ID = 999
VENDOR_NAME = "ASO Console"
MODEL_NAME = "ASO Console"
# The product's release, and the BACnet stack it runs on (what an integrator asks when a
# service misbehaves).
FIRMWARE_REVISION = __version__
APPLICATION_SOFTWARE_VERSION = f"aso-console {__version__} (bacpypes3 {bacpypes3.__version__})"

# What each kind of device is, as its description says.
HOST_DESCRIPTION = "ASO host: optimization kill switch and ASO status"
CLIENT_DESCRIPTION = "ASO Console: BACnet client (serves no points)"
SIM_ROUTER_DESCRIPTION = "Simulated BACnet router (aso sim): BBMD in front of the simulated building"
_SIM_KINDS = {"ahu": "AHU controller", "vav": "VAV controller", "plant": "central plant controller",
              "meter": "electric meter"}


def sim_description(kind: str, detail: str) -> str:
    """``Simulated AHU controller (aso sim): <what the equipment is>``."""
    return f"Simulated {_SIM_KINDS.get(kind, kind)} (aso sim): {detail}"


def sim_model_name(kind: str) -> str:
    """``SIM-AHU``, ``SIM-VAV``, ``SIM-ROUTER``..."""
    return f"SIM-{kind.upper()}"
