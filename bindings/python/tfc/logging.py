"""The library's log messages (training progress, checkpoints, warnings) go to
Python's logging, logger "tfc". set_verbosity(tfc.logging.INFO) shows the
estimators' progress lines as TensorFlow's tf.logging does."""

import logging as _logging

from ._lib import LOG_FN, lib

DEBUG, INFO, WARN, ERROR = _logging.DEBUG, _logging.INFO, _logging.WARNING, _logging.ERROR
WARNING = WARN
logger = _logging.getLogger("tfc")
_LEVELS = {0: DEBUG, 1: INFO, 2: WARN, 3: ERROR}


def _forward(level, message, user_data):
    try:
        logger.log(_LEVELS.get(level, INFO), message.decode("utf-8", "replace"))
    except Exception:  # never let a logging problem unwind into C
        pass


_callback = LOG_FN(_forward)
lib.tfc_set_log_callback(_callback, None)


def set_verbosity(level):
    """Shows messages of level and above on stderr (adds a handler if the tfc
    logger has none)."""
    logger.setLevel(level)
    if not logger.handlers:
        h = _logging.StreamHandler()
        h.setFormatter(_logging.Formatter("%(levelname)s:tfc:%(message)s"))
        logger.addHandler(h)


def get_verbosity():
    return logger.getEffectiveLevel()


__all__ = ["DEBUG", "INFO", "WARN", "WARNING", "ERROR", "set_verbosity", "get_verbosity", "logger"]
