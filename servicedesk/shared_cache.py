"""The shared cache (CACHE_URL: Redis where several processes serve requests) is a help, never a
condition: with it down, a throttled endpoint lets the request through and a cached figure is
worked out again, each with a warning in the log, instead of the request failing."""

import logging

from django.core.cache import cache
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle

logger = logging.getLogger(__name__)

#: What the cache raises when its server cannot be reached (Redis; sockets).
CACHE_DOWN = (RedisError, OSError)


def cache_get(key: str, default=None):
    try:
        return cache.get(key, default)
    except CACHE_DOWN as error:
        logger.warning("Cache unavailable (%s): %s read again from the database.", error, key)
        return default


def cache_set(key: str, value, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except CACHE_DOWN as error:
        logger.warning("Cache unavailable (%s): %s not kept.", error, key)


class SharedAnonRateThrottle(AnonRateThrottle):
    """DRF's per-address throttle, open while its cache is down (the endpoints it guards still
    answer; their own checks stand)."""

    def allow_request(self, request, view) -> bool:
        try:
            return super().allow_request(request, view)
        except CACHE_DOWN as error:
            logger.warning("Cache unavailable (%s): %s not throttled.", error, request.path)
            return True
