"""Index shapes the models share."""

from django.db import models
from django.db.models import Q


def index_where_set(field_name: str, name: str) -> models.Index:
    """An index of a nullable foreign key over the rows where it is set.

    Deleting the row it points at makes the database look for rows that still point there;
    without an index every such look-up reads the whole table. Rows that point nowhere (most
    of them: who marked someone, who decided) take no room and cost no write.
    """
    return models.Index(
        fields=[field_name], name=name, condition=Q(**{f"{field_name}__isnull": False})
    )
