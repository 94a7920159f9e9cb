"""One kind of error a user sees: every error the library defines derives from SecamError."""

import importlib
import inspect
import pkgutil

import secam
from secam.errors import InputError, SecamError


def _library_modules() -> list:
    names = [info.name for info in pkgutil.walk_packages(secam.__path__, "secam.")]
    return [importlib.import_module(name) for name in sorted(names)]


def test_every_error_the_library_defines_is_a_secam_error_and_refines_a_builtin():
    defined = {
        obj
        for module in _library_modules()
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == module.__name__
    }
    names = {error.__name__ for error in defined}
    # the errors a user meets: configuration, weights, images, caches, the results folder
    assert {
        "ConfigError",
        "DamagedArtifactError",
        "ImageReadError",
        "IncompleteResultsError",
        "InputError",
        "NoUsableImagesError",
        "ResultsLockedError",
        "UntrustedWeightsError",
        "WeightsUnavailableError",
    } <= names
    for error in defined:
        assert issubclass(error, SecamError), error
        assert error is SecamError or issubclass(error, (ValueError, RuntimeError)), error


def test_input_errors_are_still_value_errors():
    assert issubclass(InputError, ValueError)
    from secam.methods import method_spec

    try:
        method_spec("no_such_method")
    except InputError as error:
        assert "unknown method 'no_such_method'" in str(error)
    else:
        raise AssertionError("an unknown method was accepted")
