"""Creative Automation Platform: campaign brief in, localized on-brand ad creatives out."""

__version__ = "0.1.0"
__all__ = ["__version__"]
