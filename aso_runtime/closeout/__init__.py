"""Commissioning closeout: every override on the site and who holds it, the audit journal of
every write with undo, as-found/as-left snapshots, and the hand-back gate and report.

Plain runtime code (no UI): the ``aso`` CLI and the console's Overrides tab are views over it.
"""
