"""RetailCRM (Simla) simple connection: register tokens, the JSON answers, module edit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Sequence, Union

from ._calls import as_bytes, call_status, call_string, call_verify, cstr, json_arg

JsonArg = Union[str, Mapping[str, Any]]


def _opt_str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) else None


@dataclass(frozen=True)
class Registration:
    """The outcome of ``RetailCrm.register_account``: what the module sends back and stores.

    - ``registered``: the token was right and the system accepted the module edit;
    - ``answer``: the JSON text to send back to RetailCRM with HTTP 200 (success with the
      account's accountUrl, or ``{"success":false,"errorMsg":...}``), whatever happened;
    - ``system_url``: the account's system URL from the form (None if the form had none);
    - ``api_key``: the account's API key, only when registered. A SECRET: store it where
      only the module can read it (the repr never shows it);
    - ``error``: why it is not registered (None when registered);
    - ``field_errors``: the system's ``errors`` map (field -> message) when its edit answer
      carried one, else None.
    """

    registered: bool
    answer: str
    system_url: Optional[str] = None
    api_key: Optional[str] = None
    error: Optional[str] = None
    field_errors: Optional[Dict[str, Any]] = None

    @classmethod
    def from_json(cls, text: str) -> "Registration":
        """Parse the result JSON of ``b2c_retailcrm_register_account`` (unknown keys are
        ignored)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("register_account result is not a JSON object")
        errors = data.get("field_errors")
        answer = data.get("answer")
        return cls(
            registered=data.get("registered") is True,
            answer=answer if isinstance(answer, str) else "",
            system_url=_opt_str(data.get("system_url")),
            api_key=_opt_str(data.get("api_key")),
            error=_opt_str(data.get("error")),
            field_errors=dict(errors) if isinstance(errors, dict) else None,
        )

    def __repr__(self) -> str:
        return (
            f"Registration(registered={self.registered!r}, system_url={self.system_url!r}, "
            f"api_key={'<redacted>' if self.api_key is not None else None}, error={self.error!r}, "
            f"field_errors={self.field_errors!r}, answer={self.answer!r})"
        )


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

    @staticmethod
    def register_account(
        secret: str,
        form_body: Union[str, bytes],
        module: JsonArg,
        account: Optional[JsonArg] = None,
        http_config: Optional[JsonArg] = None,
    ) -> Registration:
        """The register step of a module that serves many CRM accounts: as
        ``handle_register``, with the account's own module fields (``account``: a JSON
        object laid over ``module``'s top-level fields, e.g. ``{"clientId": "acct-42",
        "accountUrl": "https://module.example/acct/42"}``; None for none), returning
        everything the module must store as a b2c.Registration (send ``answer`` back with
        HTTP 200 whatever it says; keep ``api_key`` when ``registered``). A wrong token is
        not an exception (``registered`` False, no outgoing call); an invalid module or
        account JSON (not an object) raises InvalidArgumentError."""
        body = as_bytes(form_body, "form_body")
        text = call_string(
            "b2c_retailcrm_register_account",
            cstr(secret, "secret"),
            body,
            len(body),
            json_arg(module, "module"),
            None if account is None else json_arg(account, "account"),
            None if http_config is None else json_arg(http_config, "http_config"),
        )
        return Registration.from_json(text)
