"""A session store that records the user on each session row.

Django's documented way to end every session of one person at once: a session model with an
indexed user column (see "Extending database-backed session engines").
"""

from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls):
        from users.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        instance = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        instance.user_id = int(user_id) if user_id and str(user_id).isdigit() else None
        return instance
