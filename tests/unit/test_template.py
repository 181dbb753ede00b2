"""template.yaml lints clean and keeps its promises about the function, table and policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest

from tests.support.fixtures_dynamodb import TEMPLATE, load_template

ALLOWED_ACTIONS = ["dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"]


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in template["Resources"].items() if r["Type"] == kind}


@pytest.fixture(scope="module")
def function(template: dict[str, Any]) -> dict[str, Any]:
    """The function's properties, with Globals.Function filled in as SAM does."""
    functions = resources_of_type(template, "AWS::Serverless::Function")
    assert list(functions) == ["ConnectionGameFunction"]
    merged = dict(template.get("Globals", {}).get("Function", {}))
    merged.update(functions["ConnectionGameFunction"]["Properties"])
    return merged


@pytest.fixture(scope="module")
def table(template: dict[str, Any]) -> dict[str, Any]:
    tables = resources_of_type(template, "AWS::DynamoDB::Table")
    assert list(tables) == ["ProgressTable"]
    return tables["ProgressTable"]


def test_cfn_lint_finds_nothing() -> None:
    matches = cfnlint.api.lint_file(Path(TEMPLATE))

    assert [str(match) for match in matches] == []


def test_skill_id_is_a_required_parameter_shaped_like_a_skill_id(template: dict[str, Any]) -> None:
    skill_id = template["Parameters"]["SkillId"]

    assert skill_id["Type"] == "String"
    assert "Default" not in skill_id
    pattern = re.compile(skill_id["AllowedPattern"])
    assert pattern.fullmatch("amzn1.ask.skill.0f6b2c1e-3c8d-4c4e-9a39-2b5d6a7e8f90")
    assert not pattern.fullmatch("amzn1.echo-sdk-ams.app.123")


def test_function_runtime_handler_and_limits(function: dict[str, Any]) -> None:
    runtime = re.fullmatch(r"python3\.(\d+)", function["Runtime"])
    assert runtime is not None and int(runtime.group(1)) >= 12
    assert function["Handler"] == "app.lambda_handler"
    assert function["CodeUri"] == "build/lambda/"  # what `make package` builds
    assert function["Timeout"] < 8  # Alexa waits 8 s for an answer
    assert function["MemorySize"] >= 512
    assert function["Architectures"] == [{"Ref": "Architecture"}]


def test_function_environment_names_the_table_and_skill(function: dict[str, Any]) -> None:
    assert function["Environment"]["Variables"] == {
        "TABLE_NAME": {"Ref": "ProgressTable"},
        "SKILL_ID": {"Ref": "SkillId"},
    }


def test_only_the_configured_skill_may_invoke_the_function(function: dict[str, Any]) -> None:
    assert function["Events"] == {
        "AlexaSkill": {"Type": "AlexaSkill", "Properties": {"SkillId": {"Ref": "SkillId"}}}
    }


def test_policy_allows_four_item_actions_on_the_table_only(function: dict[str, Any]) -> None:
    [policy] = function["Policies"]  # one inline document: no managed or SAM policy templates
    [statement] = policy["Statement"]

    assert statement["Effect"] == "Allow"
    assert statement["Action"] == ALLOWED_ACTIONS
    assert statement["Resource"] == {"Fn::GetAtt": ["ProgressTable", "Arn"]}
    assert set(statement) <= {"Sid", "Effect", "Action", "Resource"}


def test_logs_have_a_retention(template: dict[str, Any], function: dict[str, Any]) -> None:
    [(name, log_group)] = resources_of_type(template, "AWS::Logs::LogGroup").items()

    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": name}


def test_table_survives_stack_deletion_and_replacement(table: dict[str, Any]) -> None:
    assert table["DeletionPolicy"] == "Retain"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_table_keys_billing_and_protection(table: dict[str, Any]) -> None:
    properties = table["Properties"]

    assert properties["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(properties["AttributeDefinitions"], key=str) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "S"},
    ]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": "expires_at",
        "Enabled": True,
    }


def test_outputs_give_the_function_arn_and_table_name(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]

    assert outputs["FunctionArn"]["Value"] == {"Fn::GetAtt": ["ConnectionGameFunction", "Arn"]}
    assert outputs["TableName"]["Value"] == {"Ref": "ProgressTable"}
    assert "ConnectionGameFunction.Arn" in outputs["AskCliHint"]["Value"]["Fn::Sub"]
