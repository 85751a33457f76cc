"""kvstore-elasticsearch: the kvstore protocol on an Elasticsearch index."""

from ._store import ElasticsearchStore as ElasticsearchStore

__all__ = ["ElasticsearchStore"]
