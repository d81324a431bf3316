"""Open311 GeoReport v2 server (``/open311``): discovery, services from the dispatch catalogue,
requests filed through the same intake use case as every channel, their public state, the
FixMyStreet ``servicerequestupdates`` extension, and the API keys of client applications.

* :mod:`.rules` — pure: status mapping, attributes of a service, parameter checks;
* :mod:`.xml` — pure: the XML form of every answer;
* :mod:`.models` — client applications (keys) and the request record beside each appeal;
* :mod:`.queries` / :mod:`.service` — reads and use cases; :mod:`.api` — the router.
"""
