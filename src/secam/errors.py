"""The errors a user of secam sees: one base class, :class:`SecamError`.

An error derives from :class:`SecamError` when its message is meant for the person running the
library: it names what they gave (a configuration key, a weights file, an image, a results
folder, a model or class name) and what to do about it. The command line prints such an error
as one line, ``secam: error: <message>``, with a non-zero exit and no traceback (``secam
--debug`` shows it); the workflow's jobs print the same line on the terminal and keep the
traceback in the job's log. Any other exception is a fault of the library, and keeps its
traceback everywhere.

Each error also derives from the built-in exception it refines (``ValueError`` for a value that
cannot be used, ``RuntimeError`` for a state of the machine or of a results folder), so code
that catches those keeps working. The specific errors live with their concept:
``secam.config.ConfigError``, ``secam.imaging.ImageReadError``,
``secam.models.checkpoints.WeightsUnavailableError`` and ``UntrustedWeightsError``,
``secam.integrity.DamagedArtifactError``, ``secam.locking.ResultsLockedError``, ...
"""

from __future__ import annotations


class SecamError(Exception):
    """An error whose message tells the user what is wrong with what they gave."""


class InputError(SecamError, ValueError):
    """An argument that names nothing known (a model, method, class, selection or algorithm),
    or a value or file the library cannot use."""
