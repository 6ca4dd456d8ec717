"""ASO runtime: the engine of ASO Console, importable without any UI.

Core modules never import textual or rich (a test checks this in a fresh
interpreter), so ASO scripts and headless hosts stay light.

    from aso_runtime import EasyASO   # old easy-aso scripts: only this line changes
"""

__version__ = "0.1.0"
__all__ = ["Aso", "AsoRunner", "EasyASO", "__version__"]


def __getattr__(name: str):
    # Lazy: `aso --help` and the CLI's argument checks should not pay for
    # importing bacpypes3 before they need it.
    if name in ("Aso", "AsoRunner", "EasyASO"):
        from . import aso

        return getattr(aso, name)
    raise AttributeError(f"module 'aso_runtime' has no attribute {name!r}")
