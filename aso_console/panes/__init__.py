"""The console's tabs: each pane owns its state, timers and actions."""
