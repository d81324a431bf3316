"""civicgrid: grid management, 12345 appeal handling, the register and residents' participation
for Chinese cities."""

__version__ = "0.1.0"
