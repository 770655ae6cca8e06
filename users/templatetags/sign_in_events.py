"""The user card's recent sign-ins panel reads its events through this tag (one query)."""

from django import template

from users.selectors import recent_sign_in_events

register = template.Library()


@register.simple_tag
def sign_in_events(user, limit=5):
    return recent_sign_in_events(user, limit=limit)
