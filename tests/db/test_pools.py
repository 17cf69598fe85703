"""The pools' sizes come from the settings (settings.py `reads_pool_size`, TANDEM_DB_READS_POOL_SIZE)."""

from __future__ import annotations

import pytest

from settings import Settings
from web.app import build_services


async def test_the_reads_pool_has_the_configured_size(db_url):
    for raw, expected in (({}, 8), ({"TANDEM_DB_READS_POOL_SIZE": "3"}, 3)):
        settings = Settings.from_env({"DATABASE_URL": db_url, "TANDEM_SECRET_KEY": "x" * 40, **raw})
        services = build_services(settings)
        try:
            assert services.db.reads_engine is not None
            assert services.db.reads_engine.pool.size() == expected  # type: ignore[attr-defined]
            assert services.db.reads_engine.pool._max_overflow == 0  # type: ignore[attr-defined]
        finally:
            await services.db.dispose()


@pytest.mark.parametrize("raw", ["0", "-2", "eight"])
def test_a_bad_reads_pool_size_is_refused_with_its_variable_named(raw):
    with pytest.raises(ValueError, match="TANDEM_DB_READS_POOL_SIZE"):
        Settings.from_env({"TANDEM_DB_READS_POOL_SIZE": raw})
