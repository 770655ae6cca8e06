"""The user card's sign-in pause panel reads its state through this tag (one query)."""

from django import template

from users.sign_in_throttle import account_sign_in_state

register = template.Library()


@register.simple_tag
def sign_in_state(user):
    return account_sign_in_state(user.username)
