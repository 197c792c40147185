"""Security headers Django 5.2 does not set by itself."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ContentSecurityPolicyMiddleware:
    """Send the Content-Security-Policy and Permissions-Policy on every response.

    The policy names only this origin, so even an injected tag cannot make a
    browser contact a third party.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = settings.CONTENT_SECURITY_POLICY

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(self), interest-cohort=()"
        )
        return response


class PrivatePagesMiddleware:
    """Tell browsers and proxies to keep no copy of any page of the platform.

    Case, person and search pages show identities, and even pages before
    sign-in can say who was invited where; a copy kept in a shared phone's
    cache or a proxy must not outlive the visit. Static files (answered before
    the session and sign-in middleware run) stay cacheable.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # Reached the application, not a static file; the public site's pages
        # (memoria.public, aggregates and the consented memorial only) say so,
        # unless the response sets a cookie (a signed-in member's renewed session):
        # a shared cache must never keep, and hand out, someone's cookie.
        public = getattr(response, "public_cache", False) and not response.cookies
        if hasattr(request, "user") and not public:
            response.headers["Cache-Control"] = "no-store, private"
        return response


class LanguageMiddleware:
    """Spanish unless the person chose another language, or, before signing in, prefers one.

    The choice made with the language selector is kept in a cookie and always
    wins. Without one, pages seen before signing in (the sign-in page, a
    password reset, an invitation) follow the browser's Accept-Language
    between Spanish and English, Spanish when it names neither; on signing in
    that language is kept in the cookie, so the platform goes on in the
    language the person signed in with. A signed-in person without the cookie
    gets Spanish, not the browser's language: many phones in Mexico are set
    to English, and the platform's working language is Spanish.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        signed_in = SESSION_KEY in request.session
        if chosen in self.supported:
            language = chosen
        elif not signed_in:
            language = translation.get_language_from_request(request)
        else:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        if chosen not in self.supported and not signed_in and _now_signed_in(request):
            _keep_language(response, language)
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        translation.deactivate()
        return response


def _now_signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated)


def _keep_language(response, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
