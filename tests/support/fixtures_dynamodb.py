"""pytest fixtures: a real DynamoDB Local and a fresh table made from template.yaml.

Register them from tests/conftest.py::

    pytest_plugins = ("tests.support.fixtures_dynamodb",)

- ``dynamodb_local`` (session): one DynamoDB Local process for the whole run.
- ``dynamodb_table`` (function): a uniquely named table with the key schema, billing mode
  and TTL that template.yaml declares; yields ``LocalTable(endpoint, table_name)``, a
  2-tuple, and deletes the table afterwards.
- ``dynamodb_env`` (function): the same table, plus the environment variables the Lambda
  reads (endpoint, region, credentials, TABLE_NAME) for the duration of the test.

Nothing here changes global state outside a test: clients come from their own boto3
Session with the endpoint, region and dummy credentials passed explicitly.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import boto3
import cfnlint.decode
import pytest
from botocore.config import Config

from tests.support import dynamodb_local as ddb_local

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
REGION = "us-east-1"
ACCESS_KEY_ID = "local"
SECRET_ACCESS_KEY = "local"

# CloudFormation table properties that CreateTable takes unchanged.
_MIRRORED = (
    "AttributeDefinitions",
    "KeySchema",
    "BillingMode",
    "ProvisionedThroughput",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
)
# Properties with no effect on how the table behaves for the code under test.
_NOT_MIRRORED = frozenset(
    {
        "PointInTimeRecoverySpecification",
        "SSESpecification",
        "DeletionProtectionEnabled",
        "TableClass",
        "Tags",
    }
)


class LocalTable(NamedTuple):
    endpoint: str
    table_name: str


class TableDefinition(NamedTuple):
    create_table: dict[str, Any]  # CreateTable arguments, without TableName
    ttl_attribute: str | None


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml as plain data; short-form tags become {"Ref": ...}, {"Fn::Sub": ...}."""
    template, problems = cfnlint.decode.decode(str(path))
    if problems or template is None:
        raise ValueError(f"{path} does not parse: {[str(p) for p in problems]}")
    plain: dict[str, Any] = json.loads(json.dumps(template))  # cfn-lint's node types -> dict
    return plain


def table_definition(template: dict[str, Any] | None = None) -> TableDefinition:
    """CreateTable arguments and TTL attribute of the template's one DynamoDB table."""
    template = load_template() if template is None else template
    tables = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource["Type"] == "AWS::DynamoDB::Table"
    ]
    if len(tables) != 1:
        raise ValueError(f"template.yaml should declare one DynamoDB table, not {len(tables)}")
    properties = tables[0]
    unknown = set(properties) - set(_MIRRORED) - _NOT_MIRRORED - {"TimeToLiveSpecification"}
    if unknown:
        raise ValueError(f"teach fixtures_dynamodb.py to mirror {sorted(unknown)}")
    if "TableName" in properties:
        raise ValueError("template.yaml should let CloudFormation name the table")
    ttl = properties.get("TimeToLiveSpecification", {})
    return TableDefinition(
        create_table={key: properties[key] for key in _MIRRORED if key in properties},
        ttl_attribute=ttl["AttributeName"] if ttl.get("Enabled") else None,
    )


def client(endpoint: str, **config: Any) -> Any:
    """A DynamoDB client for DynamoDB Local that ignores the environment's AWS settings."""
    session = boto3.session.Session(
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
        region_name=REGION,
    )
    settings = {"connect_timeout": 2, "read_timeout": 5, "retries": {"max_attempts": 2}}
    return session.client("dynamodb", endpoint_url=endpoint, config=Config(**(settings | config)))


def create_table(endpoint: str, name: str, definition: TableDefinition) -> None:
    dynamodb = client(endpoint)
    dynamodb.create_table(TableName=name, **definition.create_table)
    dynamodb.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    if definition.ttl_attribute is not None:
        dynamodb.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": definition.ttl_attribute},
        )


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[ddb_local.DynamoDBLocal]:
    server = ddb_local.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dynamodb_table(dynamodb_local: ddb_local.DynamoDBLocal) -> Iterator[LocalTable]:
    table = LocalTable(dynamodb_local.endpoint, f"connection-game-test-{uuid.uuid4().hex[:12]}")
    create_table(table.endpoint, table.table_name, table_definition())
    try:
        yield table
    finally:
        if dynamodb_local.running:
            dynamodb_local.resume()  # a test may have left it paused
            dynamodb = client(table.endpoint)
            with contextlib.suppress(dynamodb.exceptions.ResourceNotFoundException):
                dynamodb.delete_table(TableName=table.table_name)


@pytest.fixture
def dynamodb_env(dynamodb_table: LocalTable, monkeypatch: pytest.MonkeyPatch) -> LocalTable:
    """Point code that builds its own boto3 client (as the Lambda does) at the test table."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_table.endpoint)
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY)
    monkeypatch.setenv("TABLE_NAME", dynamodb_table.table_name)
    return dynamodb_table
