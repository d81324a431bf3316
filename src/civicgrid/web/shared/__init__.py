"""Page helpers every area shares: the page actor and context (``context``), rendering a page
or its htmx fragment (``render``, ``templating``), form parsing and refusals (``forms``), the one
shape of a form post (``form_actions``), the navigation table (``navigation``), and the appeal
pieces several areas show or post (``appeal_rows``, ``appeal_actions``, ``dispatch_choices``).
Nothing here imports a page module."""
