"""Appeal handling (接诉即办): intake, dispatch, handling, callback and the grid loop.

Pure rule modules (no database, no HTTP, no clock): ``states`` (statuses), ``channels`` (types,
channels, flows), ``workflow`` (transition table), ``calendar`` (working days), ``deadlines``
(time limits and warnings), ``numbering`` (appeal numbers), ``self_service`` (tracking limits
and the caller's own rating). Reads are in the ``queries`` package, use cases in ``service``.
See docs/domain/appeals.md.
"""
