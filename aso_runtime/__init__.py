"""ASO runtime: the engine of ASO Console, importable without any UI.

Core modules never import textual or rich (a test checks this in a fresh
interpreter), so ASO scripts and headless hosts stay light.

    from aso_runtime import EasyASO   # old easy-aso scripts: only this line changes
"""

from .aso import Aso, AsoRunner, EasyASO

__version__ = "0.1.0"
__all__ = ["Aso", "AsoRunner", "EasyASO", "__version__"]
