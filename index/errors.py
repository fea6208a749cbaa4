"""Domain errors whose message is safe to show a user as it is."""


class StorybotError(Exception):
    """An error with a one-line, user-safe message."""

    exit_code = 1


class UsageError(StorybotError):
    """The user asked for something malformed (bad question, unknown id, bad flag)."""

    exit_code = 2


class QuestionError(UsageError):
    """The question itself is unusable."""


class UnknownSourceError(UsageError):
    """No source with that id in the story."""


class UnknownStoryError(UsageError):
    """No story with that id in the corpus."""


class ModelLoadError(StorybotError):
    """The embedding model could not be loaded."""


class StoreError(StorybotError):
    """A vector store is unreachable, corrupt or does not match the catalog."""


class DamagedStoreError(StoreError):
    """A vector store's own file cannot be opened (e.g. cut short by a crash); its vectors mirror the catalog."""


class IngestError(UsageError):
    """An input (file, folder, URL) cannot be read or turned into an article."""
