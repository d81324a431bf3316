"""Console pages for appeals: intake (``intake``), the inbox and supervision lists
(``lists``) and the appeal detail with its action forms (``detail``)."""
