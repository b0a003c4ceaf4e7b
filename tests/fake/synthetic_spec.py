"""A spec bump played in tests: the shipped normalised spec plus three tags of new operations,
shaped like the vendor's next release (batch definitions, batch executions, execution
policies), a resource nested under a datasource and one nested under a new resource.

Each list pages its own way (offset, cursor, continuation token, a plain array); the item paths
have a literal `id` segment or not; deletes answer 204 or a body; one stream names its events.
"""

from __future__ import annotations

import copy
from typing import Any

from meibel.testing._schema import shipped

JSON = dict[str, Any]
NULLABLE_STRING = {"anyOf": [{"type": "string"}, {"type": "null"}]}
STATUS = {"type": "string", "enum": ["pending", "running", "completed", "failed", "cancelled"]}


def ref(name: str) -> JSON:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: JSON, *required: str, title: str = "") -> JSON:
    schema = {"type": "object", "properties": properties, "required": list(required)}
    return {**schema, "title": title} if title else schema


def param(name: str, where: str = "path", schema: JSON | None = None) -> JSON:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "schema": schema or {"type": "string"},
    }


def operation(
    operation_id: str,
    tag: str,
    answer: JSON | None,
    *,
    status: str = "200",
    body: JSON | None = None,
    parameters: list[JSON] | None = None,
    media: str = "application/json",
) -> JSON:
    responses: JSON = {"422": {"description": "Validation Error", "content": {
        "application/json": {"schema": ref("HTTPValidationError")}}}}  # fmt: skip
    ok: JSON = {"description": "Successful Response"}
    if answer is not None:
        ok["content"] = {media: {"schema": answer}}
    responses[status] = ok
    found: JSON = {
        "operationId": operation_id,
        "tags": [tag],
        "summary": operation_id,
        "security": [{"APIKeyHeader": []}],
        "responses": responses,
    }
    if parameters:
        found["parameters"] = parameters
    if body is not None:
        found["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return found


PAGE = [param("offset", "query", {"type": "integer", "default": 0}),
        param("limit", "query", {"type": "integer", "default": 2})]  # fmt: skip
CURSOR = [param("cursor", "query", NULLABLE_STRING),
          param("limit", "query", {"type": "integer", "default": 2})]  # fmt: skip
TOKEN = [param("continuation_token", "query", NULLABLE_STRING),
         param("limit", "query", {"type": "integer", "default": 2})]  # fmt: skip

SCHEMAS: JSON = {
    "BatchDefinitionResponse": obj(
        {
            "id": {"type": "string"},
            "name": {"type": "string", "minLength": 1},
            "description": NULLABLE_STRING,
            "catalog_urn": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
            "config": {"type": "object", "additionalProperties": True},
            "created_at": {"type": "string", "format": "date-time"},
        },
        "id",
        "name",
        "catalog_urn",
        "version",
        "created_at",
        title="BatchDefinitionResponse",
    ),
    "CreateBatchDefinitionRequest": obj(
        {
            "name": {"type": "string", "minLength": 1},
            "description": NULLABLE_STRING,
            "catalog_urn": {"type": "string"},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
            "config": {"type": "object", "additionalProperties": True},
        },
        "name",
    ),
    "UpdateBatchDefinitionRequest": obj(
        {
            "name": {"type": "string", "minLength": 1},
            "description": NULLABLE_STRING,
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
        }
    ),
    "CreateBatchDefinitionResponse": obj(
        {"id": {"type": "string"}, "name": {"type": "string"}, "message": {"type": "string"}},
        "id",
        "message",
    ),
    "GetBatchDefinitionsResponse": obj(
        {
            "data": {"type": "array", "items": ref("BatchDefinitionResponse")},
            "total": {"type": "integer"},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
        },
        "data",
        "total",
    ),
    "ExecuteBatchDefinitionResponse": obj(
        {
            "execution_id": {"type": "string", "format": "uuid"},
            "definition_id": {"type": "string"},
            "status": STATUS,
        },
        "execution_id",
        "definition_id",
        "status",
    ),
    "BatchExecutionRequest": obj(
        {"definition_id": {"type": "string"}, "input_datasource_id": {"type": "string"}},
        "definition_id",
    ),
    "BatchExecutionResponse": obj(
        {
            "execution_id": {"type": "string", "format": "uuid"},
            "definition_id": {"type": "string"},
            "input_datasource_id": NULLABLE_STRING,
            "status": {"anyOf": [STATUS, {"type": "null"}]},
            "progress": {"type": "number", "minimum": 0, "maximum": 100},
            "started_at": {"type": "string", "format": "date-time"},
        },
        "execution_id",
        "definition_id",
        "status",
    ),
    "GetBatchExecutionsResponse": obj(
        {
            "items": {"type": "array", "items": ref("BatchExecutionResponse")},
            "next_cursor": NULLABLE_STRING,
            "has_next": {"type": "boolean"},
        },
        "items",
    ),
    "ExecutionProgressConnected": obj(
        {
            "event": {"const": "connected"},
            "data": obj({"execution_id": {"type": "string"}}, "execution_id"),
        },
        "event",
        "data",
    ),
    "ExecutionProgressUpdate": obj(
        {
            "event": {"const": "progress"},
            "data": obj(
                {
                    "execution_id": {"type": "string"},
                    "status": STATUS,
                    "progress": {"type": "number", "minimum": 0, "maximum": 100},
                },
                "execution_id",
                "status",
                "progress",
            ),
        },
        "event",
        "data",
    ),
    "ExecutionProgressCompleted": obj(
        {
            "event": {"const": "completed"},
            "data": obj(
                {"execution_id": {"type": "string"}, "status": STATUS}, "execution_id", "status"
            ),
        },
        "event",
        "data",
    ),
    "ExecutionProgressError": obj(
        {"event": {"const": "error"}, "data": obj({"message": {"type": "string"}}, "message")},
        "event",
        "data",
    ),
    "ExecutionPolicyRequest": obj(
        {
            "name": {"type": "string"},
            "max_retries": {"type": "integer", "minimum": 0},
            "rules": {
                "type": "object",
                "properties": {"timeout_s": {"type": "integer"}, "on_error": {"type": "string"}},
            },
        },
        "name",
    ),
    "ExecutionPolicyPatch": obj(
        {
            "name": {"type": "string"},
            "max_retries": {"type": "integer", "minimum": 0},
            "rules": {
                "type": "object",
                "properties": {"timeout_s": {"type": "integer"}, "on_error": {"type": "string"}},
            },
        }
    ),
    "ExecutionPolicyResponse": obj(
        {
            "policy_id": {"type": "string"},
            "name": {"type": "string"},
            "max_retries": {"type": "integer", "minimum": 0, "default": 3},
            "rules": {
                "type": "object",
                "properties": {"timeout_s": {"type": "integer"}, "on_error": {"type": "string"}},
            },
            "owner_email": {"type": "string", "format": "email"},
        },
        "policy_id",
        "name",
        "owner_email",
    ),
    "GetExecutionPoliciesResponse": obj(
        {
            "items": {"type": "array", "items": ref("ExecutionPolicyResponse")},
            "continuation_token": NULLABLE_STRING,
        },
        "items",
    ),
    "DeletedResponse": obj({"deleted": {"type": "boolean"}, "id": {"type": "string"}}, "id"),
    "PolicyRuleRequest": obj({"expression": {"type": "string"}}, "expression"),
    "PolicyRuleResponse": obj(
        {
            "rule_id": {"type": "string"},
            "policy_id": {"type": "string"},
            "expression": {"type": "string"},
        },
        "rule_id",
        "policy_id",
        "expression",
    ),
    "TagRequest": obj({"label": {"type": "string", "pattern": "^[a-z]+$"}}, "label"),
    "TagResponse": obj(
        {
            "tag_id": {"type": "string"},
            "datasource_id": {"type": "string"},
            "label": {"type": "string", "pattern": "^[a-z]+$"},
        },
        "tag_id",
        "datasource_id",
        "label",
    ),
}

DEFINITION = [param("definition_id")]
EXECUTION = [param("execution_id")]
POLICY = [param("policy_id")]
PROGRESS = {
    "oneOf": [ref("ExecutionProgressConnected"), ref("ExecutionProgressUpdate"),
              ref("ExecutionProgressCompleted"), ref("ExecutionProgressError")],
    "discriminator": {"propertyName": "event", "mapping": {
        "connected": "#/components/schemas/ExecutionProgressConnected",
        "progress": "#/components/schemas/ExecutionProgressUpdate",
        "completed": "#/components/schemas/ExecutionProgressCompleted",
        "error": "#/components/schemas/ExecutionProgressError"}},
}  # fmt: skip

PATHS: JSON = {
    "/batch-definitions": {
        "get": operation("listBatchDefinitions", "Batches", ref("GetBatchDefinitionsResponse"),
                         parameters=PAGE),
        "post": operation("createBatchDefinition", "Batches",
                          ref("CreateBatchDefinitionResponse"),
                          body=ref("CreateBatchDefinitionRequest")),
    },
    "/batch-definitions/catalog-urn": {
        "get": operation("getBatchDefinitionByCatalogUrn", "Batches",
                         ref("BatchDefinitionResponse"),
                         parameters=[{**param("catalog_urn", "query"), "required": True}]),
    },
    "/batch-definitions/id/{definition_id}": {
        "get": operation("getBatchDefinition", "Batches", ref("BatchDefinitionResponse"),
                         parameters=DEFINITION),
        "put": operation("updateBatchDefinition", "Batches", ref("BatchDefinitionResponse"),
                         parameters=DEFINITION, body=ref("UpdateBatchDefinitionRequest")),
        "delete": operation("deleteBatchDefinition", "Batches", None, status="204",
                            parameters=DEFINITION),
    },
    "/batch-definitions/id/{definition_id}/versions": {
        "get": operation("listBatchDefinitionVersions", "Batches",
                         ref("GetBatchDefinitionsResponse"), parameters=DEFINITION + PAGE),
    },
    "/batch-definitions/id/{definition_id}/execute": {
        "post": operation("executeBatchDefinition", "Batches",
                          ref("ExecuteBatchDefinitionResponse"), parameters=DEFINITION),
    },
    "/batch-executions": {
        "get": operation("listBatchExecutions", "Batch Executions",
                         ref("GetBatchExecutionsResponse"),
                         parameters=[*CURSOR, param("input_datasource_id", "query")]),
        "post": operation("createBatchExecution", "Batch Executions",
                          ref("BatchExecutionResponse"), status="201",
                          body=ref("BatchExecutionRequest")),
    },
    "/batch-executions/id/{execution_id}": {
        "get": operation("getBatchExecution", "Batch Executions",
                         ref("BatchExecutionResponse"), parameters=EXECUTION),
    },
    "/batch-executions/id/{execution_id}/cancel": {
        "post": operation("cancelBatchExecution", "Batch Executions",
                          ref("BatchExecutionResponse"), parameters=EXECUTION),
    },
    "/batch-executions/id/{execution_id}/realtime-progress": {
        "get": operation("streamBatchExecutionProgress", "Batch Executions", PROGRESS,
                         parameters=EXECUTION, media="text/event-stream"),
    },
    "/execution-policies": {
        "get": operation("listExecutionPolicies", "Execution Policies",
                         ref("GetExecutionPoliciesResponse"), parameters=TOKEN),
        "post": operation("createExecutionPolicy", "Execution Policies",
                          ref("ExecutionPolicyResponse"), body=ref("ExecutionPolicyRequest")),
    },
    "/execution-policies/{policy_id}": {
        "get": operation("getExecutionPolicy", "Execution Policies",
                         ref("ExecutionPolicyResponse"), parameters=POLICY),
        "patch": operation("patchExecutionPolicy", "Execution Policies",
                           ref("ExecutionPolicyResponse"), parameters=POLICY,
                           body=ref("ExecutionPolicyPatch")),
        "delete": operation("deleteExecutionPolicy", "Execution Policies",
                            ref("DeletedResponse"), parameters=POLICY),
    },
    "/execution-policies/{policy_id}/rules": {
        "get": operation("listPolicyRules", "Execution Policies",
                         {"type": "array", "items": ref("PolicyRuleResponse")},
                         parameters=POLICY),
        "post": operation("createPolicyRule", "Execution Policies", ref("PolicyRuleResponse"),
                          parameters=POLICY, body=ref("PolicyRuleRequest")),
    },
    "/execution-policies/{policy_id}/rules/{rule_id}": {
        "get": operation("getPolicyRule", "Execution Policies", ref("PolicyRuleResponse"),
                         parameters=[*POLICY, param("rule_id")]),
    },
    "/datasources/{datasource_id}/tags": {
        "get": operation("listDatasourceTags", "Datasources",
                         {"type": "array", "items": ref("TagResponse")},
                         parameters=[param("datasource_id")]),
        "post": operation("createDatasourceTag", "Datasources", ref("TagResponse"),
                          status="201", parameters=[param("datasource_id")],
                          body=ref("TagRequest")),
    },
    "/datasources/{datasource_id}/tags/{tag_id}": {
        "get": operation("getDatasourceTag", "Datasources", ref("TagResponse"),
                         parameters=[param("datasource_id"), param("tag_id")]),
        "delete": operation("deleteDatasourceTag", "Datasources", None, status="204",
                            parameters=[param("datasource_id"), param("tag_id")]),
    },
}  # fmt: skip

NEW_OPERATIONS = sorted(
    op["operationId"] for item in PATHS.values() for op in item.values()
)  # fmt: skip


def handled_spec() -> JSON:
    """The shipped normalised spec without the operations the fake answers from the spec alone:
    what the fake's hand-written handlers answer, whatever the shipped spec has grown (after a
    bump that adds the vendor's batch operations, those are left out)."""
    from meibel.testing import FakeMeibel

    generic = set(FakeMeibel().generic_operations())
    document = copy.deepcopy(shipped().document)
    for path, item in list(document["paths"].items()):
        kept = {
            method: operation
            for method, operation in item.items()
            if not isinstance(operation, dict) or operation.get("operationId") not in generic
        }
        if any(
            isinstance(operation, dict) and "operationId" in operation
            for operation in kept.values()
        ):
            document["paths"][path] = kept
        else:
            del document["paths"][path]
    return document


def bumped_spec() -> JSON:
    """handled_spec() with the new tags' paths and schemas added."""
    document = handled_spec()
    document["paths"].update(copy.deepcopy(PATHS))
    document["components"]["schemas"].update(copy.deepcopy(SCHEMAS))
    tags = {tag["name"] for tag in document.get("tags", [])}
    document.setdefault("tags", []).extend(
        {"name": name, "description": name}
        for name in ("Batches", "Batch Executions", "Execution Policies")
        if name not in tags
    )
    return document
