"""ASO Console: the Textual commissioning console, a view over aso_runtime."""
