"""Names people read, in the two languages the floor works in."""

from dataclasses import dataclass

LANGUAGES = ("zh", "en")  # zh first: the service's default language


@dataclass(frozen=True)
class Label:
    zh: str
    en: str

    def __call__(self, language: str) -> str:
        return self.en if language.lower().startswith("en") else self.zh
