"""Every operation of the spec is a command (issue #20): `meibel <tag> <name>`, derived at run
time from plans.json and the spec, that calls the operation through the client."""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import Any

import pytest
from cli_args import argv

import meibel.testing
from meibel._cli import main
from meibel._cli._operations import operations, plans_table, spec_document
from meibel._cli._parser import build_parser
from meibel.testing import FakeMeibel
from scripts import cli_commands

OPERATIONS = operations()
# The task commands keep these names; the operation is then named after its method.
TASK_COMMANDS = {("agents", "list"), ("datasources", "list"), ("datasources", "create")}


def command_name(operation: Any) -> str:
    taken = (operation.tag, operation.name) in TASK_COMMANDS
    return operation.aliases[0] if taken else operation.name


def test_every_operation_of_the_spec_has_a_command() -> None:
    in_spec = [
        operation
        for item in spec_document()["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(OPERATIONS) == len(plans_table()) == len(in_spec)
    groups = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    for operation in OPERATIONS:
        actions = groups[operation.tag]._subparsers._group_actions[0].choices
        parser = actions[command_name(operation)]
        assert parser.get_default("operation").plan == operation.plan


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda o: o.plan["operation_id"])
def test_help(operation: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([operation.tag, command_name(operation), "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    plan = operation.plan
    assert f"{plan['http_method']} {plan['path']} ({plan['operation_id']})" in out
    for option in operation.options:
        assert option.flag in out


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> list[FakeMeibel]:
    """The fakes `--fake` makes, to read what each command sent."""
    made: list[FakeMeibel] = []

    class Recorded(FakeMeibel):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(meibel.testing, "FakeMeibel", Recorded)
    return made


def test_every_command_calls_its_operation_with_spec_valid_arguments(
    fakes: list[FakeMeibel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each of the spec's operations works against a fresh fake: every id the command names is
    seeded (meibel/_cli/_fake.py), so the fake answers a success, as the API would."""
    failed = {}
    for operation in OPERATIONS:
        folder = tmp_path / operation.plan["operation_id"]
        folder.mkdir()
        line = argv(operation, folder)
        line[1] = command_name(operation)
        status = main(["--fake", *line])
        out, err = capsys.readouterr()
        sent = [r.operation_id for r in fakes[-1].requests]
        assert operation.plan["operation_id"] in sent, (line, err)
        if status != 0:
            failed[operation.plan["operation_id"]] = (status, line, err)
        elif operation.plan["kind"] not in ("none", "download"):
            assert out, line
    assert failed == {}


def test_the_fake_holds_every_id_the_command_names(capsys: pytest.CaptureFixture[str]) -> None:
    """Parents first: a data element of a datasource, each seeded from the path alone."""
    line = ["--fake", "data-elements", "get", "element_7", "--datasource-id", "ds_7"]
    assert main([*line, "--output", "json"]) == 0
    out = capsys.readouterr().out
    assert '"id": "element_7"' in out
    assert main(["--fake", "sessions", "get-messages", "session_3", "--output", "json"]) == 0


def test_the_fake_holds_what_the_path_and_the_body_name(
    fakes: list[FakeMeibel],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Beyond item paths: a record by a field named in the path, an entry of a record's list,
    a resource a body field names, and what a record needs that the command does not give."""
    assert main(["--fake", "agents", "create-session-by-name", "support"]) == 0
    assert [a["name"] for a in fakes[-1].agents.values()] == ["agent_123", "support"]
    line = ["documents", "download-deep-transform-artifact", "graph.json", "--job-id", "dt_1"]
    assert main(["--fake", *line, "-o", str(tmp_path / "graph.json")]) == 0
    assert (tmp_path / "graph.json").read_text() == "graph.json of deep-transform job dt_1\n"
    line = ["table-descriptions", "list-columns", "orders", "--datasource-id", "ds_q4"]
    assert main(["--fake", *line, "--output", "json"]) == 0
    assert set(fakes[-1].tables["ds_q4"]) == {"orders"}
    assert main(["--fake", "file-upload", "stream-progress", "up_1", "--output", "json"]) == 0
    assert '"datasource_id": "ds_demo"' in capsys.readouterr().out  # the --fake datasource's
    # Body fields: `document_job_id` names a document (a parse job), read from stdin once.
    body = '{"document_job_id": "job_9", "schema": {"type": "object"}}'
    monkeypatch.setattr("sys.stdin", io.StringIO(body))
    assert main(["--fake", "documents", "submit-deep-transform-from", "--data", "-"]) == 0
    assert "job_9" in fakes[-1].parse_jobs
    (tmp_path / "bill.pdf").write_bytes(b"%PDF")
    transform = ["documents", "transform", "--file", str(tmp_path / "bill.pdf")]
    assert main(["--fake", *transform, "--artifact-schema", "invoice"]) == 0
    assert "invoice" in fakes[-1].artifact_schemas
    # A schema given inline is no id: nothing is seeded for it.
    assert main(["--fake", *transform, "--artifact-schema", '{"type": "object"}']) == 0
    assert dict(fakes[-1].artifact_schemas) == {}


def test_options_and_data_make_the_body(
    fakes: list[FakeMeibel], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    body = tmp_path / "body.json"
    body.write_text('{"name": "from file", "description": "kept"}')
    line = ["--fake", "datasources", "create-datasource", "--data", f"@{body}", "--name", "Q4"]
    assert main(line) == 0
    request = next(r for r in fakes[-1].requests if r.operation_id == "createDatasource")
    assert request.json == {"name": "Q4", "description": "kept"}  # the option wins
    assert main(["--fake", "datasources", "create-datasource"]) == 2
    assert capsys.readouterr().err.endswith("meibel: missing --name (or give it in --data)\n")
    assert main(["--fake", "datasources", "create-datasource", "--data", "[1]"]) == 2


def test_typed_options_from_the_spec(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["--limit", "many"], ["--limit", "1e400"], ["--published-only", "yes"]):
        with pytest.raises(SystemExit) as exit_:
            main(["--fake", "agents", "list-agents", *bad])
        assert exit_.value.code == 2
        err = capsys.readouterr().err
        assert any(word in err for word in bad), err
    line = ["--fake", "agents", "list-agents", "--limit", "1", "--no-published-only"]
    assert main(line) == 0
    # Enums are choices, wherever the spec has one.
    enums = [(o, op) for op in OPERATIONS for o in op.options if o.choices]
    assert enums
    for option, operation in enums:
        with pytest.raises(SystemExit):
            main([operation.tag, command_name(operation), option.flag, "?"])
        assert "invalid choice: '?'" in capsys.readouterr().err


def test_files_of_a_multipart_operation(
    fakes: list[FakeMeibel], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("one")
    (tmp_path / "b.txt").write_text("two")
    line = ["file-upload", "upload-content", "ds_1", "--file", str(tmp_path / "a.txt")]
    assert main(["--fake", *line, "--files", str(tmp_path / "b.txt")]) == 0
    (upload,) = fakes[-1].uploads
    assert sorted((f.filename, f.data) for f in upload.files) == [
        ("a.txt", b"one"),
        ("b.txt", b"two"),
    ]
    assert main(["--fake", *line[:3], "--file", str(tmp_path / "missing.pdf")]) == 1
    assert capsys.readouterr().err.endswith("missing.pdf: no such file or directory\n")


def test_a_new_operation_in_the_plans_is_a_new_command_without_code_edits(
    capsys: pytest.CaptureFixture[str],
) -> None:
    plans = copy.deepcopy(plans_table())
    spec = copy.deepcopy(spec_document())
    new = {
        **plans["getAgent"],
        "operation_id": "getAgentCard",
        "method": "get_agent_card",
        "namespace": "agent_cards",
        "path": "/agents/{agent_id}/card",
        "cli_name": None,
    }
    plans["getAgentCard"] = new
    operation = copy.deepcopy(spec["paths"]["/agents/{agent_id}"]["get"])
    operation.update(operationId="getAgentCard", summary="Get an agent's card", tags=["Cards"])
    operation["parameters"].append(
        {"in": "query", "name": "style", "schema": {"enum": ["short", "long"], "default": "short"}}
    )
    spec["paths"]["/agents/{agent_id}/card"] = {"get": operation}
    parser = build_parser(plans, spec)
    args = parser.parse_args(["agent-cards", "get-agent-card", "agent_1", "--style", "long"])
    assert args.operation.plan["operation_id"] == "getAgentCard"
    assert (args.path__agent_id, args.query__style) == ("agent_1", "long")
    with pytest.raises(SystemExit):
        parser.parse_args(["agent-cards", "get-agent-card", "agent_1", "--style", "tall"])
    assert "invalid choice: 'tall'" in capsys.readouterr().err


def test_the_page_lists_every_tag_and_command() -> None:
    """docs/cli.md's table is what `make regen` writes (scripts/cli_commands.py) for these plans."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "cli.md").read_text()
    assert cli_commands.render(page) == page, "docs/cli.md's command table is stale: make regen"
    for operation in OPERATIONS:
        row = next(line for line in page.splitlines() if line.startswith(f"| `{operation.tag}` |"))
        assert command_name(operation) in row.split("|")[2].replace(" ", "").split(",")
