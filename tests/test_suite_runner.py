"""``make test`` runs both engines' suites at once: they must not share a Redis database."""

from __future__ import annotations

from tests.redis_url import postgres_suite_url


def test_the_postgres_suite_takes_the_next_lower_redis_database() -> None:
    assert postgres_suite_url({"GVI_TEST_REDIS_URL": "redis://127.0.0.1:6379/15"}) == (
        "redis://127.0.0.1:6379/14"
    )
    assert postgres_suite_url({"GVI_TEST_REDIS_URL": "redis://127.0.0.1:6379/0"}) == (
        "redis://127.0.0.1:6379/1"
    )
    assert (
        postgres_suite_url({"GVI_TEST_REDIS_URL": "redis://:pw@h:6379"}) == "redis://:pw@h:6379/1"
    )


def test_an_explicit_postgres_suite_redis_url_wins() -> None:
    environ = {
        "GVI_TEST_REDIS_URL": "redis://127.0.0.1:6379/15",
        "GVI_TEST_REDIS_URL_POSTGRES": "redis://127.0.0.1:6379/3",
    }
    assert postgres_suite_url(environ) == "redis://127.0.0.1:6379/3"


def test_no_redis_configured_gives_none_to_the_postgres_suite() -> None:
    assert postgres_suite_url({}) == ""
