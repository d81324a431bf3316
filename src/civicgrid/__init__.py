"""civicgrid: grid management, 12345 appeal handling, register and participation for Chinese cities."""

__version__ = "0.1.0"
