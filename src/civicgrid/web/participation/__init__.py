"""Participation pages: consultations with votes and evaluations, volunteer orders
(点单/派单/接单/服务/确认/评价), the volunteer ledger with certificates (and the printable
certificate), and service projects.

Residents (phones) see the consultations of where they live, a vote form, an order form and
their own orders; staff manage consultations, assign orders, record and confirm service, and
issue certificates. Every form posts to ``.../{action}`` with the CSRF token; a refused action
re-renders the page with the message (422 for invalid input, 409 for a wrong step), through
:mod:`civicgrid.web.shared.form_actions`. Each page module's ``router`` is registered by
``civicgrid.web.mount_pages``.
"""
