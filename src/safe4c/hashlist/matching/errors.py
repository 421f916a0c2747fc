"""Typed errors of the matching library.

Each error carries a stable machine ``code`` so the web layer can turn it into
one JSON error shape and a translated message without parsing English text.
Messages never echo the rejected value: it may be a URL or hash that is itself
evidence, and errors end up in logs.
"""


class MatchingError(ValueError):
    """Base class: a value or file the matching library cannot use."""

    code: str

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvalidSignal(MatchingError):
    """A signal value (hash, URL) or signal type name is not acceptable.

    Codes: ``empty``, ``bad_hex``, ``wrong_length``, ``unknown_type``,
    ``bad_url``, ``unsupported_scheme``, ``too_long``.
    """


class UnreadableImage(MatchingError):
    """A file could not be decoded as a supported image.

    Codes: ``not_an_image`` (unknown or unsupported format), ``corrupt``
    (recognised but cannot be decoded), ``too_large`` (decompression bomb guard),
    ``unreadable`` (the file itself cannot be read).
    """
