"""The admin's search box, bounded: a term no column could hold finds nothing, with a message, instead of a 500.

Each word of a search becomes a LIKE pattern: SQLite refuses one over 50,000 bytes, and PostgreSQL refuses any
parameter holding a NUL character.
"""

from django.contrib import messages

MAX_SEARCH_LENGTH = 254


class BoundedSearchMixin:
    def get_search_results(self, request, queryset, search_term):
        if len(search_term) > MAX_SEARCH_LENGTH or "\x00" in search_term:
            self.message_user(
                request,
                f"Search for at most {MAX_SEARCH_LENGTH} characters, without NUL characters: nothing was searched.",
                messages.WARNING,
            )
            return queryset.none(), False
        return super().get_search_results(request, queryset, search_term)
