"""RetailCRM (Simla) simple connection: register tokens, the JSON answers, module edit."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence, Union

from ._calls import as_bytes, call_status, call_string, call_verify, cstr, json_arg

JsonArg = Union[str, Mapping[str, Any]]


class RetailCrm:
    """RetailCRM module helpers (stateless; all static methods). JSON arguments may be given
    as a str (sent as it is) or as a dict/list (json.dumps'ed)."""

    @staticmethod
    def token(secret: str, api_key: str) -> str:
        """The register token RetailCRM sends: hex HMAC-SHA256(key = secret, message = apiKey).
        An empty secret or api_key raises InvalidArgumentError."""
        return call_string("b2c_retailcrm_token", cstr(secret, "secret"), cstr(api_key, "api_key"))

    @staticmethod
    def verify_token(secret: str, api_key: str, token: str) -> bool:
        """Check ``register[token]`` against the module secret and apiKey (constant time)."""
        return call_verify("b2c_retailcrm_verify_token", cstr(secret, "secret"), cstr(api_key, "api_key"), cstr(token, "token"))

    @staticmethod
    def config_response(scopes: Union[str, Sequence[str]], register_url: str) -> str:
        """The configUrl answer ``{"success":true,"scopes":[...],"registerUrl":"..."}``."""
        return call_string(
            "b2c_retailcrm_config_response", json_arg(scopes, "scopes"), cstr(register_url, "register_url")
        )

    @staticmethod
    def register_success(account_url: str) -> str:
        """The register success answer ``{"success":true,"accountUrl":"..."}``."""
        return call_string("b2c_retailcrm_register_success", cstr(account_url, "account_url"))

    @staticmethod
    def error_response(message: str) -> str:
        """The error answer ``{"success":false,"errorMsg":"..."}`` (send it with HTTP 200)."""
        return call_string("b2c_retailcrm_error_response", cstr(message, "message"))

    @staticmethod
    def edit_module(system_url: str, api_key: str, module: JsonArg, http_config: Optional[JsonArg] = None) -> None:
        """Register or update the module (``POST {system_url}/api/v5/integration-modules/{code}/edit``).
        A ``{"success":false,"errorMsg":...}`` answer raises RemoteError carrying errorMsg."""
        call_status(
            "b2c_retailcrm_edit_module",
            cstr(system_url, "system_url"),
            cstr(api_key, "api_key"),
            json_arg(module, "module"),
            None if http_config is None else json_arg(http_config, "http_config"),
        )

    @staticmethod
    def handle_register(
        secret: str, form_body: Union[str, bytes], module: JsonArg, http_config: Optional[JsonArg] = None
    ) -> str:
        """The whole register step of a module's web handler: parse the form body, verify
        the token, call edit, and return the JSON answer to send back with HTTP 200."""
        body = as_bytes(form_body, "form_body")
        return call_string(
            "b2c_retailcrm_handle_register",
            cstr(secret, "secret"),
            body,
            len(body),
            json_arg(module, "module"),
            None if http_config is None else json_arg(http_config, "http_config"),
        )
