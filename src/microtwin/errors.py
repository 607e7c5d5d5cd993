"""The exceptions microtwin raises at its public boundary.

Every error derives from :class:`MicrotwinError`, and also from the matching built-in
exception, so ``except ValueError`` and ``except FileNotFoundError`` keep working. Messages
are one line and name what was expected and what was found.
"""


class MicrotwinError(Exception):
    """Base class of every error raised by microtwin."""


class InputFileNotFoundError(MicrotwinError, FileNotFoundError):
    """An input file or folder does not exist (or a glob matched nothing)."""


class UnknownFormatError(MicrotwinError, ValueError):
    """A file's format cannot be told from its name, or is not supported."""


class CorruptFileError(MicrotwinError, ValueError):
    """A file exists but cannot be read: truncated, damaged, or inconsistent."""


class RawSizeError(MicrotwinError, ValueError):
    """A raw file's size does not match the given shape × itemsize + offset."""


class DimensionError(MicrotwinError, ValueError):
    """An array has the wrong number of dimensions (for example 2D where 3D is needed)."""


class DTypeError(MicrotwinError, TypeError):
    """An array has a dtype the function cannot work with."""


class SpacingError(MicrotwinError, ValueError):
    """A voxel spacing is malformed: wrong length, non-finite, or not positive."""


class UnitError(MicrotwinError, ValueError):
    """A length or unit string cannot be parsed, or two units cannot be converted."""


class OutputExistsError(MicrotwinError, FileExistsError):
    """An output path exists and overwriting was not asked for."""


class ParameterError(MicrotwinError, ValueError):
    """A parameter is out of its allowed range or inconsistent with the input."""


class EmptyPhaseError(MicrotwinError, ValueError):
    """A phase has no voxels (or fills the whole image) where the estimator needs both."""


class PercolationError(MicrotwinError, ValueError):
    """A phase does not connect the inlet and outlet faces along the requested axis."""


class ConvergenceError(MicrotwinError, RuntimeError):
    """An iterative solver stopped at its iteration limit before meeting its tolerances."""
