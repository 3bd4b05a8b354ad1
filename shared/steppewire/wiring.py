"""The composition root: every store, client and service the functions use is built here, once per container.

Each builder reads its function's settings and the shared clients at first use, so tests' moto and the
local stack's endpoint apply, and imports what it wires inside itself: a function pays at cold start only
for the parts it uses. `forget_warm_state` is what a fresh container (or a test's fresh deployment) gets.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING, NamedTuple

from steppewire.aws import dynamodb_client, reset_clients, s3_client, sqs_client
from steppewire.settings import (
    ArticlesApiSettings,
    ImportSettings,
    ImportWorkerSettings,
    IndexerSettings,
    PublishSettings,
    RatesSettings,
    SearchSettings,
    load_settings,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from steppewire.articles.publishing import Publisher
    from steppewire.articles.store import DynamoArticleStore
    from steppewire.imports.service import Coordinator, ItemImporter
    from steppewire.rates.repository import DynamoRatesRepository
    from steppewire.search.engine import SearchEngine
    from steppewire.search.index_store import DynamoIndexTable
    from steppewire.search.indexer import Indexer
    from steppewire.search.schema import IndexPolicy
    from steppewire.search.synonyms import SynonymSource
    from steppewire.search.synonyms_publishing import SynonymsPublisher


def utc_now() -> datetime:
    return datetime.now(UTC)


@cache
def rates_repository() -> DynamoRatesRepository:
    from steppewire.rates.repository import DynamoRatesRepository

    return DynamoRatesRepository(dynamodb_client(), load_settings(RatesSettings).rates_table_name)


@cache
def article_reader() -> DynamoArticleStore:
    """The articles table as the articles API reads it."""
    from steppewire.articles.store import DynamoArticleStore

    return DynamoArticleStore(dynamodb_client(), load_settings(ArticlesApiSettings).articles_table_name)


@cache
def search_engine() -> SearchEngine:
    """The search function's engine, warmed up (term directory, document values) as its container starts."""
    from botocore.exceptions import BotoCoreError, ClientError

    from steppewire.observability import logger
    from steppewire.search.engine import SearchEngine
    from steppewire.search.index_store import DynamoIndexTable

    table = DynamoIndexTable(dynamodb_client(), load_settings(SearchSettings).search_table_name)
    engine = SearchEngine(table, clock=utc_now, policy=index_policy(), synonyms=synonym_source().current)
    try:
        engine.warm_up()
    except (BotoCoreError, ClientError):  # not fatal: queries then read what they need themselves
        logger.exception("could not warm the search engine up")
    return engine


@cache
def synonym_source() -> SynonymSource:
    """The synonyms in force, as the search function reads them (re-read at most once a minute)."""
    from steppewire.search.synonym_store import S3SynonymStore
    from steppewire.search.synonyms import SynonymSource

    store = S3SynonymStore(s3_client())
    return SynonymSource(partial(store.read, load_settings(SearchSettings).articles_bucket_name))


def index_policy() -> IndexPolicy:
    """The index's thresholds, one for the writer and the reader (tests give both tiny ones)."""
    from steppewire.search.schema import IndexPolicy

    return IndexPolicy()


@cache
def publisher() -> Publisher:
    settings = load_settings(PublishSettings)
    return _publisher_on(settings.articles_table_name, settings.index_queue_url)


def _publisher_on(articles_table_name: str, index_queue_url: str) -> Publisher:
    """The publishing domain on AWS, handing its articles to the indexer through that queue."""
    from steppewire.articles.aws_adapters import S3ObjectStorage, SqsIndexFeed
    from steppewire.articles.publishing import Publisher
    from steppewire.articles.store import DynamoArticleStore

    return Publisher(
        store=DynamoArticleStore(dynamodb_client(), articles_table_name),
        storage=S3ObjectStorage(s3_client()),
        index=SqsIndexFeed(sqs_client(), index_queue_url),
        clock=utc_now,
    )


@cache
def synonyms_publisher() -> SynonymsPublisher:
    """Applies editors' config/ files; its bucket is the event's (the publish function's only bucket)."""
    from steppewire.articles.aws_adapters import S3ObjectStorage
    from steppewire.search.synonym_store import S3SynonymStore
    from steppewire.search.synonyms_publishing import SynonymsPublisher

    return SynonymsPublisher(S3ObjectStorage(s3_client()), S3SynonymStore(s3_client()))


@cache
def import_coordinator() -> Coordinator:
    from steppewire.articles.aws_adapters import S3ObjectStorage
    from steppewire.imports.aws_adapters import S3ExportFiles, SqsPostQueue, SqsRunQueue
    from steppewire.imports.run_store import DynamoImportRuns
    from steppewire.imports.service import Coordinator, Pacing

    settings = load_settings(ImportSettings)
    return Coordinator(
        runs=DynamoImportRuns(dynamodb_client(), settings.articles_table_name),
        files=S3ExportFiles(s3_client()),
        posts=SqsPostQueue(sqs_client(), settings.import_post_queue_url),
        again=SqsRunQueue(sqs_client(), settings.import_queue_url),
        reports=S3ObjectStorage(s3_client()),
        clock=utc_now,
        pacing=Pacing(settings.import_checkpoint_items, settings.import_safety_seconds),
    )


@cache
def item_importer() -> ItemImporter:
    from steppewire.articles.aws_adapters import S3ObjectStorage
    from steppewire.imports.run_store import DynamoImportRuns
    from steppewire.imports.service import ItemImporter

    settings = load_settings(ImportWorkerSettings)
    runs = DynamoImportRuns(dynamodb_client(), settings.articles_table_name)
    publishing = _publisher_on(settings.articles_table_name, settings.bulk_index_queue_url)
    return ItemImporter(publishing, runs, S3ObjectStorage(s3_client()), utc_now)


@cache
def idempotency_store() -> DynamoDBPersistenceLayer:
    """Built from the shared client at first use (Powertools would otherwise make a boto3 client of its own)."""
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    return DynamoDBPersistenceLayer(
        table_name=load_settings(PublishSettings).idempotency_table_name,
        boto3_client=dynamodb_client(),  # a botocore client: what boto3 would wrap, with the same API
    )


class IndexWriter(NamedTuple):
    indexer: Indexer
    table: DynamoIndexTable
    articles: DynamoArticleStore


def index_writer() -> IndexWriter:
    """A fresh indexer per invocation: its table's meter counts that invocation's capacity units."""
    from steppewire.articles.store import DynamoArticleStore
    from steppewire.search.index_store import DynamoIndexTable
    from steppewire.search.indexer import Indexer

    settings = load_settings(IndexerSettings)
    table = DynamoIndexTable(dynamodb_client(), settings.search_table_name)
    articles = DynamoArticleStore(dynamodb_client(), settings.articles_table_name)
    return IndexWriter(Indexer.for_store(table, articles, index_policy()), table, articles)


def forget_warm_state() -> None:
    """Drop every cached setting, client and service, as a new container would start."""
    builders = (
        load_settings,
        rates_repository,
        article_reader,
        search_engine,
        synonym_source,
        publisher,
        synonyms_publisher,
        import_coordinator,
        item_importer,
        idempotency_store,
    )
    for builder in builders:
        builder.cache_clear()
    reset_clients()
