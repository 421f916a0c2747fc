"""Typed errors of the matching library. ``MatchingError`` and ``InvalidSignal`` belong to the signal
registry (``safe4c.kernel.signals``), which validates values without numpy; a file that is not an image is
this library's own error.
"""

from safe4c.kernel.signals import InvalidSignal, MatchingError

__all__ = ["InvalidSignal", "MatchingError", "UnreadableImage"]


class UnreadableImage(MatchingError):
    """A file could not be decoded as a supported image.

    Codes: ``not_an_image`` (unknown or unsupported format), ``corrupt``
    (recognised but cannot be decoded), ``too_large`` (decompression bomb guard),
    ``unreadable`` (the file itself cannot be read).
    """
