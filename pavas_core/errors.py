"""The few exception types users see. Messages say what happened and what to do.

They are raised where the problem is found and caught only at the boundaries (CLI, ComfyUI nodes),
which print the message as one line.
"""


class PavasError(Exception):
    """Base class: an expected failure with a message meant for a person."""


class BadInputError(PavasError, ValueError):
    """The input (file, tensor, JSON, parameter) cannot be used as given."""


class MissingWeightsError(PavasError, FileNotFoundError):
    """A model file the user asked for is not where it should be."""


class UnsupportedCheckpointError(PavasError):
    """A weight file was found but does not match any supported model (names or shapes)."""


class Cancelled(PavasError):
    """Work was stopped by a progress callback (the user pressed cancel / interrupt)."""
