"""An editor's `translation_group` reaches the store through the publisher: the versions find each other."""

from __future__ import annotations

from steppewire.articles.publishing import Status
from steppewire.articles.store import Translation
from tests.unit.test_publisher import Newsroom, story


def test_uploaded_versions_with_one_group_are_translations_until_one_is_deleted() -> None:
    newsroom = Newsroom()
    assert newsroom.status(newsroom.upload("incoming/en.md", story(translation_group="rates"))) is Status.PUBLISHED
    newsroom.status(newsroom.upload("incoming/ru.md", story("Тенге стабилен", lang="ru", translation_group="rates")))

    versions = [Translation("tenge-stabilen", "ru"), Translation("tenge-steadies", "en")]
    assert newsroom.store.translations("rates", before="2026-11-26T12:00:00Z") == versions
    newsroom.status(newsroom.delete("incoming/ru.md"))
    assert newsroom.store.translations("rates", before="2026-11-26T12:00:00Z") == versions[1:]
