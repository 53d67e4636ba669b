"""Post-processing of the OpenAPI schema: document what every operation really answers."""

NOT_FOUND = {
    "description": "No such record in your scope, or a path the API does not have (e.g. an id that is not a number).",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


BAD_PAGE = {
    "description": "The `page` or `cursor` parameter cannot be read or is past the end.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}
PAGE_PARAMETERS = {"page", "cursor"}


def document_not_found(result, generator, request, public):
    """Document the errors every operation of a kind really sends, where its view did not.

    An operation with a path parameter can answer 404: an unknown or out-of-scope id, or one the
    URL pattern refuses (in the API's JSON error format, by ``portal.views.not_found``). A paged
    list answers 400 to a page or cursor it cannot use (``portal.api.pagination``).
    """
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if "{" in path:
                operation["responses"].setdefault("404", NOT_FOUND)
            if PAGE_PARAMETERS & {parameter.get("name") for parameter in operation.get("parameters", [])}:
                operation["responses"].setdefault("400", BAD_PAGE)
    return result
