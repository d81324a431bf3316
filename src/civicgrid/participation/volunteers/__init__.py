"""Volunteer service: volunteers, teams, service orders (点单/派单/接单), service records,
hours, certificates and 双报到 of party organisations and party members."""
