"""``GET /log/checkpoint/witnessed`` and GraphQL's witnessing fields on a log that names no
witnesses, and on one whose witnesses have not cosigned yet (SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from api.app import create_app
from ledger.cosignature import Cosigner
from ledger.witnessing import Witness, WitnessPolicy
from tests.api.graphql_world import graphql_world, http_client
from tests.conftest import SQL_BACKENDS

pytestmark = pytest.mark.parametrize("database_url", SQL_BACKENDS, indirect=True)


async def test_a_log_without_witnesses_has_no_witnessed_checkpoint(
    database_url: str, tmp_path: Path
) -> None:
    async with graphql_world(database_url, tmp_path) as world, http_client(world) as client:
        answer = await client.get("/log/checkpoint/witnessed")
        assert answer.status_code == 404
        assert answer.json()["error"] == {
            "code": "not_witnessed",
            "message": "this log names no witnesses",
        }
        data = await world.data(
            "{ logInfo { witnessKeys witnessQuorum } witnessedCheckpoint { size } }"
        )
        assert data == {
            "logInfo": {"witnessKeys": [], "witnessQuorum": 0},
            "witnessedCheckpoint": None,
        }
        latest = await client.get("/log/checkpoint")
        assert latest.status_code == 200 and latest.text.count("\n— ") == 1


async def test_a_checkpoint_no_witness_cosigned_is_not_witnessed(
    database_url: str, tmp_path: Path
) -> None:
    async with graphql_world(database_url, tmp_path) as world:
        key = Cosigner.generate("witness.example/w1").verifier
        policy = WitnessPolicy((Witness("http://127.0.0.1:9", key),), 1)  # nothing listens
        config = dataclasses.replace(world.config, witnesses=policy)
        app = create_app(config=config)
        async with app.router.lifespan_context(app):
            world.app = app
            async with http_client(world) as client:
                answer = await client.get("/log/checkpoint/witnessed")
                assert answer.status_code == 404
                assert "cosigned by 1 of the log's witnesses" in answer.json()["error"]["message"]
                graphql = await client.post(
                    "/graphql", json={"query": "{ logInfo { witnessKeys witnessQuorum } }"}
                )
                info = graphql.json()["data"]["logInfo"]
                assert info == {"witnessKeys": [key.vkey()], "witnessQuorum": 1}
