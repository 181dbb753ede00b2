"""The DynamoDB Local harness works: a real server, a table shaped like template.yaml's."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from typing import Any

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

from tests.support import dynamodb_local as ddb_local
from tests.support.fixtures_dynamodb import LocalTable, client, load_template


def template_table() -> dict[str, Any]:
    properties: dict[str, Any] = load_template()["Resources"]["ProgressTable"]["Properties"]
    return properties


def test_table_has_the_template_key_schema_and_billing(dynamodb_table: LocalTable) -> None:
    dynamodb = client(dynamodb_table.endpoint)
    described = dynamodb.describe_table(TableName=dynamodb_table.table_name)["Table"]

    assert described["TableStatus"] == "ACTIVE"
    assert described["KeySchema"] == template_table()["KeySchema"]
    assert described["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(described["AttributeDefinitions"], key=str) == sorted(
        template_table()["AttributeDefinitions"], key=str
    )
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_put_get_and_query_round_trip_over_http(dynamodb_table: LocalTable) -> None:
    dynamodb = client(dynamodb_table.endpoint)
    progress = {
        "pk": {"S": "household-1"},
        "sk": {"S": "progress"},
        "version": {"N": "3"},
        "state": {"S": '{"phase": "waiting"}'},
        "expires_at": {"N": str(int(time.time()) + 3600)},
    }
    history = {"pk": {"S": "household-1"}, "sk": {"S": "history"}, "heard": {"SS": ["p1", "p2"]}}
    other = {"pk": {"S": "household-2"}, "sk": {"S": "progress"}, "version": {"N": "1"}}
    for item in (progress, history, other):
        dynamodb.put_item(TableName=dynamodb_table.table_name, Item=item)

    got = dynamodb.get_item(
        TableName=dynamodb_table.table_name,
        Key={"pk": progress["pk"], "sk": progress["sk"]},
        ConsistentRead=True,
    )
    both = dynamodb.query(
        TableName=dynamodb_table.table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "household-1"}},
        ConsistentRead=True,
    )

    assert got["Item"] == progress
    assert sorted(item["sk"]["S"] for item in both["Items"]) == ["history", "progress"]


def test_ttl_is_enabled_on_the_template_attribute(dynamodb_table: LocalTable) -> None:
    dynamodb = client(dynamodb_table.endpoint)
    ttl = dynamodb.describe_time_to_live(TableName=dynamodb_table.table_name)
    ttl = ttl["TimeToLiveDescription"]

    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}
    assert ttl["AttributeName"] == template_table()["TimeToLiveSpecification"]["AttributeName"]


def test_env_points_a_default_boto3_client_at_the_table(dynamodb_env: LocalTable) -> None:
    # What the Lambda does: no endpoint, region or credentials in code.
    table = boto3.session.Session().resource("dynamodb").Table(dynamodb_env.table_name)

    table.put_item(Item={"pk": "household-1", "sk": "progress", "version": 1})

    item = client(dynamodb_env.endpoint).get_item(
        TableName=dynamodb_env.table_name,
        Key={"pk": {"S": "household-1"}, "sk": {"S": "progress"}},
    )["Item"]
    assert item["version"] == {"N": "1"}


def test_a_paused_server_times_out_and_answers_again_once_resumed(
    dynamodb_local: ddb_local.DynamoDBLocal, dynamodb_table: LocalTable
) -> None:
    impatient = client(
        dynamodb_table.endpoint, read_timeout=1, connect_timeout=1, retries={"max_attempts": 1}
    )

    dynamodb_local.pause()
    try:
        with pytest.raises((ReadTimeoutError, ConnectTimeoutError)):
            impatient.describe_table(TableName=dynamodb_table.table_name)
    finally:
        dynamodb_local.resume()

    described = impatient.describe_table(TableName=dynamodb_table.table_name)
    assert described["Table"]["TableName"] == dynamodb_table.table_name


@pytest.mark.parametrize("end", ["stop", "kill"])
def test_a_second_server_ends_and_frees_its_port(end: str) -> None:
    server = ddb_local.start()
    assert server.endpoint == f"http://127.0.0.1:{server.port}"
    assert server.running

    getattr(server, end)()

    assert not server.running
    with pytest.raises(urllib.error.URLError) as refused:
        urllib.request.urlopen(server.endpoint, timeout=2)
    assert isinstance(refused.value.reason, ConnectionRefusedError)
