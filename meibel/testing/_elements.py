"""Data elements (one per stored file), table descriptions, and the metadata model catalog."""

from __future__ import annotations

import copy
import re
from typing import Any

from ._answer import Answer, HTTPError
from ._jobs import now
from ._routing import flag, integer
from ._schema import Spec
from ._state import FakeState

__all__ = ["CATALOG", "ElementHandlers"]


def _field(name: str, kind: str, description: str) -> dict[str, Any]:
    return {"name": name, "type": kind, "description": description, "index": True}


# The metadata model catalog every fake starts with (the real one is curated by Meibel); seed()
# adds entries.
CATALOG: list[dict[str, Any]] = [
    {
        "model_id": "general_document",
        "name": "General document",
        "scope": "global",
        "description": "Title, author and date of any document.",
        "fields": [
            _field("title", "string", "The document's title"),
            _field("author", "string", "Who wrote it"),
            _field("published_at", "datetime", "When it was published"),
        ],
    },
    {
        "model_id": "invoice",
        "name": "Invoice",
        "scope": "finance",
        "description": "Parties, totals and dates of an invoice.",
        "fields": [
            _field("vendor", "string", "Who issued the invoice"),
            _field("total", "float", "The amount due"),
            _field("due_date", "datetime", "When payment is due"),
        ],
    },
    {
        "model_id": "contract",
        "name": "Contract",
        "scope": "legal",
        "description": "Parties and terms of a contract.",
        "fields": [
            _field("parties", "list[string]", "Who signed"),
            _field("effective_date", "datetime", "When it takes effect"),
        ],
    },
]


def _cursor_page(items: list[Any], query: dict[str, str]) -> dict[str, Any]:
    start = integer(query, "cursor", 0)
    end = start + max(1, integer(query, "limit", 100))
    more = end < len(items)
    return {"items": items[start:end], "has_next": more, "next_cursor": str(end) if more else None}


class ElementHandlers(FakeState):
    """The Data Elements, Table Descriptions and Metadata Model Catalog operations."""

    def __init__(self, *, job_steps: int = 2, spec: Spec | None = None) -> None:
        super().__init__(job_steps=job_steps, spec=spec)
        self._catalog.update((model["model_id"], copy.deepcopy(model)) for model in CATALOG)

    # ----- data elements ------------------------------------------------------------------

    def _elements(self, datasource_id: str) -> list[dict[str, Any]]:
        self._datasource(datasource_id)
        return [e for e in self._data_elements.values() if e["datasource_id"] == datasource_id]

    def _element(self, datasource_id: str, element_id: str) -> dict[str, Any]:
        self._datasource(datasource_id)
        element = self._data_elements.get(element_id)
        if element is None or element["datasource_id"] != datasource_id:
            raise HTTPError(404, f"Data element {element_id} not found")
        return element

    def _op_listDataElements(
        self, *, params: dict[str, str], query: dict[str, str], **_: Any
    ) -> Answer:
        return Answer(200, _cursor_page(self._elements(params["datasource_id"]), query))

    def _op_searchDataElements(
        self, *, params: dict[str, str], query: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        elements = self._elements(params["datasource_id"])
        media_types = json.get("media_type_filters")
        if media_types:
            # "text/csv" matches exactly; "text/*" (or "text/") a whole family.
            prefixes = [m.rstrip("*") for m in media_types if m.endswith(("/*", "/"))]
            elements = [
                e
                for e in elements
                if e["media_type"] in media_types or e["media_type"].startswith(tuple(prefixes))
            ]
        if json.get("regex_filter"):
            try:
                pattern = re.compile(json["regex_filter"])
            except re.error as error:
                detail = {
                    "type": "value_error",
                    "loc": ["body", "regex_filter"],
                    "msg": f"Invalid regular expression: {error}",
                    "input": json["regex_filter"],
                }
                raise HTTPError(422, [detail]) from None
            elements = [e for e in elements if pattern.search(e["name"])]
        return Answer(200, _cursor_page(elements, query))

    def _op_getDataElement(self, *, params: dict[str, str], **_: Any) -> Answer:
        return Answer(200, self._element(params["datasource_id"], params["data_element_id"]))

    def _op_updateDataElement(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        element = self._element(params["datasource_id"], params["data_element_id"])
        element.update({k: json[k] for k in ("name", "description") if json.get(k) is not None})
        if json.get("metadata") is not None:
            element["metadata"] = {**(element.get("metadata") or {}), **json["metadata"]}
        element["updated_at"] = now()
        return Answer(200, element)

    # ----- table descriptions -------------------------------------------------------------

    def _tables_of(self, datasource_id: str) -> dict[str, dict[str, Any]]:
        self._datasource(datasource_id)
        return self._tables.setdefault(datasource_id, {})

    def _table(self, datasource_id: str, name: str) -> dict[str, Any]:
        table = self._tables_of(datasource_id).get(name)
        if table is None:
            raise HTTPError(404, f"Table {name} not found")
        return table

    def _op_listTables(self, *, params: dict[str, str], query: dict[str, str], **_: Any) -> Answer:
        columns = flag(query, "include_columns")
        tables = [
            {**table, "columns": [dict(c) for c in table["columns"]] if columns else None}
            for table in self._tables_of(params["datasource_id"]).values()
        ]
        return Answer(200, tables)

    def _op_updateTableDescriptions(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        tables = self._tables_of(params["datasource_id"])
        updated = []
        for item in json["tables"]:
            name = item["table_name"]
            table = tables.setdefault(name, {"table_name": name, "columns": []})
            table["description"] = item["description"]
            updated.append({**table, "columns": None})
        return Answer(200, updated)

    def _op_listColumns(self, *, params: dict[str, str], **_: Any) -> Answer:
        table = self._table(params["datasource_id"], params["table_name"])
        return Answer(200, [dict(column) for column in table["columns"]])

    def _op_updateColumnDescriptions(
        self, *, params: dict[str, str], json: dict[str, Any], **_: Any
    ) -> Answer:
        table = self._table(params["datasource_id"], params["table_name"])
        columns = {column["column_name"]: column for column in table["columns"]}
        for item in json["columns"]:
            column = columns.get(item["column_name"])
            if column is None:
                column = {"column_name": item["column_name"], "type": None}
                columns[item["column_name"]] = column
                table["columns"].append(column)
            column["description"] = item["description"]
        return Answer(200, [dict(column) for column in table["columns"]])

    # ----- metadata model catalog ---------------------------------------------------------

    def _op_listMetadataModelCatalog(self, *, query: dict[str, str], **_: Any) -> Answer:
        scope = query.get("scope")
        models = [m for m in self._catalog.values() if not scope or m["scope"] == scope]
        return Answer(200, {"models": models})

    def _op_getMetadataModelCatalogEntry(self, *, params: dict[str, str], **_: Any) -> Answer:
        model = self._catalog.get(params["model_id"])
        if model is None:
            raise HTTPError(404, f"Metadata model {params['model_id']} not found")
        return Answer(200, model)
