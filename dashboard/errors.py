"""Errors that carry what a person should see; translated into UI messages or HTTP statuses in one place."""


class BadInput(Exception):
    """A request or callback payload One Screen cannot serve; the message says why (HTTP 400)."""

    status = 400
