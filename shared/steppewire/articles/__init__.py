"""Articles as editors upload them: checked, made safe, and ready to store (see `document`)."""

from steppewire.articles.document import (
    MAX_ARTICLE_BYTES,
    NEWSROOM_TIMEZONE,
    Article,
    ArticleRejected,
    Problem,
    make_slug,
    parse_article,
)

__all__ = [
    "MAX_ARTICLE_BYTES",
    "NEWSROOM_TIMEZONE",
    "Article",
    "ArticleRejected",
    "Problem",
    "make_slug",
    "parse_article",
]
