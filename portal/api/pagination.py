from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination


class StandardPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset, request, view=None):
        """A page number past the end or not a number is a 400 about ``page`` (DRF says 404)."""
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({self.page_query_param: [str(error.detail)]}) from error


class KeysetPagination(CursorPagination):
    """Cursor (keyset) pages whose refused cursor is a 400 about the ``cursor`` parameter.

    DRF answers a cursor it cannot decode with 404, which reads as "no such list"; the
    cursor is a query parameter like any other, so a bad one is a bad request.
    """

    def decode_cursor(self, request):
        try:
            return super().decode_cursor(request)
        except NotFound as error:
            raise ValidationError({self.cursor_query_param: [str(error.detail)]}) from error
