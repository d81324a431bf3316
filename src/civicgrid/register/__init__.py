"""The 人房 register: standard addresses, buildings, houses, residents, residences, tags,
grid workers' visits and patrol tracks (一标三实, DOMAIN §4)."""
