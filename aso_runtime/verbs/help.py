"""Examples and notes of each verb: the CLI's ``--help`` epilog and the F2 ``help VERB``.

Examples are written without the leading ``aso`` so that both places show
the same lines (the CLI adds it). ``json`` lists the stable keys of the
CLI's ``--json`` document, which only the CLI prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class VerbHelp:
    examples: list[tuple[str, str]]  # (command after `aso`, what it does)
    json: str
    notes: str = ""
    syntax: str = ""
    extra: list[str] = field(default_factory=list)

    def epilog(self) -> str:
        lines = []
        if self.syntax:
            lines += [f"syntax: aso {self.syntax}", ""]
        lines.append("examples:")
        width = max(len(command) for command, _ in self.examples) + 6
        for command, what in self.examples:
            lines.append((f"  aso {command}".ljust(width) + f"  {what}").rstrip() if what else f"  aso {command}")
        if self.notes:
            lines += ["", self.notes]
        lines.append(f"json: {self.json}")
        return "\n".join(lines) + "\n"


HELP: dict[str, VerbHelp] = {
    "whois": VerbHelp(
        [("whois", "all devices; ends 0.3 s after the last answer"),
         ("whois 1000 1999", "devices with instances 1000..1999"),
         ("whois 1001", "one device; ends on its I-Am"),
         ("whois --target 10.0.0.20", "ask one address directly"),
         ("whois --network 5", "every device on network 5, through its router"),
         ("whois --foreign 10.1.0.1", "from another subnet, through that BBMD")],
        '{"devices": [{"instance", "address", "vendor_id", "max_apdu",\n'
        '       "segmentation", "network"}], "count", "elapsed_ms"}',
    ),
    "whohas": VerbHelp(
        [("whohas av,3", ""), ('whohas --name "AHU-1 SAT"', ""), ("whohas ai,1 --target 10.0.0.20", "")],
        '{"holders": [{"device_instance", "address", "object_id", "object_name"}], "count"}',
    ),
    "read": VerbHelp(
        [("read 10.0.0.20 ai,1", "present value of analog-input 1"),
         ("read 10.0.0.20 av,3 units", ""),
         ("read 1001 msv,1 state-text[2]", "by device instance (found by Who-Is)"),
         ("read 2:7 device,7 object-list", "network 2, MAC 7")],
        '{"device", "object_id", "property", "index", "value"}',
        "prints the value alone (scripts: VALUE=$(aso read ...)).",
    ),
    "write": VerbHelp(
        [("write 10.0.0.20 av,3 21.5 --priority 8", ""),
         ("write 10.0.0.20 av,3 21.5 8", "the same: PRIORITY may follow the value"),
         ("write 10.0.0.20 bv,1 active -p 8", ""),
         ("write 10.0.0.20 msv,1 2 -p 8", ""),
         ("write 10.0.0.20 av,3 null -p 8", "release (same as `aso release`)"),
         ('write 10.0.0.20 av,3 description "Supply air"', "any property: name it before the value"),
         ("write 10.0.0.20 ai,2 out-of-service true", "then: write 10.0.0.20 ai,2 48.5 (a simulated sensor)"),
         ("write 10.0.0.20 ai,2 reliability no-sensor", "enumerations by name"),
         ("write 10.0.0.20 bo,1 inactive -p 1 --life-safety", "priority 1 and 2 need --life-safety")],
        '{"device", "object_id", "property", "value" (as typed; null for a release), "priority",\n'
        '       "released", "present_value" (read back after the write)}',
        "Any property the standard defines is written by name, its value parsed for its datatype\n"
        "(numbers, true/false, enumerations by name, text); two words are PROPERTY VALUE when the first\n"
        "names a property, else VALUE PRIORITY. Whether the device accepts it is the device's answer.\n"
        "Without a priority a commandable point is written at priority 16 by the device.\n"
        "The present value is read back and shown: a write below the winning priority changes nothing.\n"
        "Priorities 1 and 2 are life safety: refused (exit 2) unless --life-safety is given; with a NAME\n"
        "after it, the point's object-name must match (the console's command line always asks for it).",
    ),
    "release": VerbHelp(
        [("release 10.0.0.20 av,3 --priority 8", ""), ("release 10.0.0.20 av,3 8", "the same")],
        '{"device", "object_id", "property", "value": null, "priority", "released": true, "present_value"}',
        "Releasing priority 1 or 2 needs --life-safety, as writing there does.",
    ),
    "props": VerbHelp(
        [("props 10.0.0.20 ai,1", ""),
         ("props 1001 lighting-output,3 --json", "every property, values as plain JSON")],
        '{"device", "object_id", "properties": [{"property", "index", "value", "error"}]}',
        "Asks the device for all properties in one ReadPropertyMultiple; devices that\n"
        "refuse it are asked for their property-list, older ones for every property the\n"
        "standard gives the type. Arrays too big for one answer are read index by index.\n"
        "Proprietary and unknown values are decoded from their tags (structures keyed by\n"
        "context tag number). A property the device refuses shows the device's error;\n"
        "the exit code is 1 only when nothing could be read.",
        syntax="props DEVICE OBJECT",
    ),
    "rpm": VerbHelp(
        [("rpm 10.0.0.20 ai,1 present-value,units,status-flags", ""),
         ("rpm 10.0.0.20 av,3 present-value,priority-array bv,1 present-value", "")],
        '{"device", "values": [{"object_id", "property", "index", "value", "error"}]}',
        "Falls back to single reads for devices without RPM. A property the device\n"
        "refuses is shown as an error and the exit code is 1.",
        syntax="rpm DEVICE OBJECT PROP[,PROP...] [OBJECT PROP[,PROP...] ...]",
    ),
    "wpm": VerbHelp(
        [("wpm 10.0.0.20 av,3 present-value=21.5@8 bv,1 present-value=active@8", ""),
         ("wpm 10.0.0.20 av,3 present-value=21.5 av,4 present-value=18 --priority 8", ""),
         ("wpm 10.0.0.20 av,3 present-value=null@8 bv,1 present-value=null@8", "release both")],
        '{"device", "writes": [{"object_id", "property", "value" (as typed; null = release), "priority"}]}',
        "Every value is checked before anything is sent; the device stops at the\n"
        "first failing write. A write at priority 1 or 2 needs --life-safety.",
        syntax="wpm DEVICE OBJECT PROP=VALUE[@PRIORITY] [PROP=VALUE ...] [OBJECT PROP=VALUE ...]",
    ),
    "priority-array": VerbHelp(
        [("priority-array 10.0.0.20 av,3", ""), ("pa 1001 bo,2", "")],
        '{"device", "object_id", "slots": [{"priority", "name", "value", "kind"}],\n'
        '       "relinquish_default", "current_command_priority", "present_value", "winning_priority"}',
    ),
    "routers": VerbHelp(
        [("routers", ""), ("routers 5", "who routes to network 5?"), ("routers --target 10.0.0.1", "")],
        '{"routers": [{"address", "networks"}], "count"}',
    ),
    "discover": VerbHelp(
        [("discover 10.0.0.20", ""), ("discover 1001 --json", ""), ("discover --all --csv > points.csv", ""),
         ("discover --all --network 5", "")],
        '{"points": [{"device_instance", "object_id", "name", "present_value", "units",\n'
        '       "status_flags", "out_of_service", "errors"}], "count", "errors": [{"device_instance", "address", "error"}]}',
        "csv columns: device_instance, object_id, name, present_value, units, status_flags (;-separated), out_of_service",
    ),
}
