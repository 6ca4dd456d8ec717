"""ASO runtime: the engine of ASO Console, importable without any UI.

Core modules never import textual or rich (a test checks this in a fresh
interpreter), so ASO scripts and headless hosts stay light.
"""

__version__ = "0.1.0"
