"""The synthetic demo city, built through the services, deterministic per seed."""
