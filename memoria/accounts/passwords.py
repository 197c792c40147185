"""Django's password validators, speaking to the person as the rest of the platform does.

Django's Spanish catalogue addresses the reader as "usted" ("Su contraseña
debe contener…") while every Memoria page uses "tú". These subclasses keep
Django's checks and give them Memoria's own sentences (translated in the
accounts catalogue). settings.AUTH_PASSWORD_VALIDATORS names them.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must have at least %(min_length)d character.",
            "Your password must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return _("This password looks too much like your %(verbose_name)s.")

    def get_help_text(self) -> str:
        return _("Your password cannot look like your name or your e-mail address.")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def get_error_message(self) -> str:
        return _("This password is among the most common ones: choose another.")

    def get_help_text(self) -> str:
        return _("Your password cannot be one of the most common ones.")


class NumericPasswordValidator(password_validation.NumericPasswordValidator):
    def get_error_message(self) -> str:
        return _("This password has only digits.")

    def get_help_text(self) -> str:
        return _("Your password cannot be only digits.")
