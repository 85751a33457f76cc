"""Wrappers: stores over stores that add behaviour and stack freely."""

from ._around import AroundWrapper as AroundWrapper
from ._base import BaseWrapper as BaseWrapper
from ._compression import CompressionWrapper as CompressionWrapper
from ._encryption import EncryptionWrapper as EncryptionWrapper
from ._fallback import FallbackWrapper as FallbackWrapper
from ._limit_size import LimitSizeWrapper as LimitSizeWrapper
from ._logging import LoggingWrapper as LoggingWrapper
from ._passthrough import PassthroughCacheWrapper as PassthroughCacheWrapper
from ._prefix import PrefixCollectionWrapper as PrefixCollectionWrapper
from ._prefix import PrefixKeyWrapper as PrefixKeyWrapper
from ._read_only import ReadOnlyWrapper as ReadOnlyWrapper
from ._renaming import RenamingWrapper as RenamingWrapper
from ._retry import RetryWrapper as RetryWrapper
from ._single_collection import SingleCollectionWrapper as SingleCollectionWrapper
from ._statistics import CollectionStatistics as CollectionStatistics
from ._statistics import OperationStatistics as OperationStatistics
from ._statistics import StatisticsWrapper as StatisticsWrapper
from ._statistics import StoreStatistics as StoreStatistics
from ._timeout import TimeoutWrapper as TimeoutWrapper
from ._transform import ValueTransformWrapper as ValueTransformWrapper
from ._ttl_clamp import TTLClampWrapper as TTLClampWrapper

__all__ = [
    "AroundWrapper",
    "BaseWrapper",
    "CollectionStatistics",
    "CompressionWrapper",
    "EncryptionWrapper",
    "FallbackWrapper",
    "LimitSizeWrapper",
    "LoggingWrapper",
    "OperationStatistics",
    "PassthroughCacheWrapper",
    "PrefixCollectionWrapper",
    "PrefixKeyWrapper",
    "ReadOnlyWrapper",
    "RenamingWrapper",
    "RetryWrapper",
    "SingleCollectionWrapper",
    "StatisticsWrapper",
    "StoreStatistics",
    "TTLClampWrapper",
    "TimeoutWrapper",
    "ValueTransformWrapper",
]
