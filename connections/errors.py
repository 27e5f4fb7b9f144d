class ConfigurationError(Exception):
    """A problem with what an owner gave us; `message` says what is wrong and what to change, `code` is stable."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code
