"""Post-processing of the OpenAPI schema: document what every operation really answers."""

NOT_FOUND = {
    "description": "No such record in your scope, or a path the API does not have (e.g. an id that is not a "
                   "number).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def document_not_found(result, generator, request, public):
    """Every operation with a path parameter can answer 404: an unknown or out-of-scope id, or one the URL
    pattern refuses (answered in the API's JSON error format by ``portal.views.not_found``)."""
    for path, operations in result.get("paths", {}).items():
        if "{" not in path:
            continue
        for operation in operations.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("404", NOT_FOUND)
    return result
