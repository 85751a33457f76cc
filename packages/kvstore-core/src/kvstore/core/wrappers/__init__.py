"""Wrappers: stores over stores that add behaviour and stack freely."""

from ._base import BaseWrapper as BaseWrapper
from ._passthrough import PassthroughCacheWrapper as PassthroughCacheWrapper
from ._prefix import PrefixCollectionWrapper as PrefixCollectionWrapper
from ._prefix import PrefixKeyWrapper as PrefixKeyWrapper
from ._single_collection import SingleCollectionWrapper as SingleCollectionWrapper
from ._statistics import CollectionStatistics as CollectionStatistics
from ._statistics import OperationStatistics as OperationStatistics
from ._statistics import StatisticsWrapper as StatisticsWrapper
from ._statistics import StoreStatistics as StoreStatistics
from ._ttl_clamp import TTLClampWrapper as TTLClampWrapper

__all__ = [
    "BaseWrapper",
    "CollectionStatistics",
    "OperationStatistics",
    "PassthroughCacheWrapper",
    "PrefixCollectionWrapper",
    "PrefixKeyWrapper",
    "SingleCollectionWrapper",
    "StatisticsWrapper",
    "StoreStatistics",
    "TTLClampWrapper",
]
