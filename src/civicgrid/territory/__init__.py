"""Regions city → district → street → community → grid, departments, utilities; locate()."""
