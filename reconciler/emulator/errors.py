"""Errors of the emulator: what the emulated service answers (`ServiceError`: the service's error
code, message and HTTP status), and why the emulator itself cannot start or go on
(`EmulatorError`: its settings, its database, a seed file)."""

from __future__ import annotations


class EmulatorError(Exception):
    """The emulator cannot start or go on; the message names the file and the reason."""


class AnswerLost(Exception):
    """An injected fault: the call was carried out and its answer is lost on the way back."""


class ServiceError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message)
