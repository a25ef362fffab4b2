<?php

declare(strict_types=1);

namespace B2c;

/**
 * RetailCRM (Simla) simple connection: register tokens, the JSON answers, module edit, the
 * register step (handleRegister(), and registerAccount() for a module serving many
 * accounts). JSON arguments may be given as a string (sent as it is) or as an array
 * (json_encode'd).
 */
final class RetailCrm
{
    /**
     * The register token RetailCRM sends: hex HMAC-SHA256(key = secret, message = apiKey).
     * An empty $secret or $apiKey throws InvalidArgumentException.
     */
    public static function token(string $secret, string $apiKey): string
    {
        return Library::callString('b2c_retailcrm_token', $secret, $apiKey);
    }

    /** Check `register[token]` against the module secret and apiKey (constant time). */
    public static function verifyToken(string $secret, string $apiKey, string $token): bool
    {
        return Library::callVerify('b2c_retailcrm_verify_token', $secret, $apiKey, $token);
    }

    /** @param string|list<string> $scopes  The configUrl answer. */
    public static function configResponse(string|array $scopes, string $registerUrl): string
    {
        return Library::callString('b2c_retailcrm_config_response', self::json($scopes), $registerUrl);
    }

    /** The register success answer `{"success":true,"accountUrl":"..."}`. */
    public static function registerSuccess(string $accountUrl): string
    {
        return Library::callString('b2c_retailcrm_register_success', $accountUrl);
    }

    /** The error answer `{"success":false,"errorMsg":"..."}` (send it with HTTP 200). */
    public static function errorResponse(string $message): string
    {
        return Library::callString('b2c_retailcrm_error_response', $message);
    }

    /**
     * Register or update the module (POST {systemUrl}/api/v5/integration-modules/{code}/edit).
     * A `{"success":false,"errorMsg":...}` answer throws RemoteException carrying errorMsg.
     *
     * @param string|array<string, mixed> $module
     * @param string|array<string, mixed>|null $httpConfig
     */
    public static function editModule(string $systemUrl, string $apiKey, string|array $module, string|array|null $httpConfig = null): void
    {
        Library::callStatus(
            'b2c_retailcrm_edit_module',
            $systemUrl,
            $apiKey,
            self::json($module),
            $httpConfig === null ? null : self::json($httpConfig),
        );
    }

    /**
     * The whole register step of a module's web handler: parse the form body (pass
     * file_get_contents('php://input')), verify the token, call edit, and return the JSON
     * answer to send back with HTTP 200.
     *
     * @param string|array<string, mixed> $module
     * @param string|array<string, mixed>|null $httpConfig
     */
    public static function handleRegister(string $secret, string $formBody, string|array $module, string|array|null $httpConfig = null): string
    {
        return Library::callString(
            'b2c_retailcrm_handle_register',
            $secret,
            $formBody,
            strlen($formBody),
            self::json($module),
            $httpConfig === null ? null : self::json($httpConfig),
        );
    }

    /**
     * The register step for a module that serves many CRM accounts: as handleRegister()
     * (parse the form, verify register[token] first: a wrong token gets an error answer
     * and no outgoing call; then the module edit), with the account's own module fields
     * ($account: a JSON object laid over $module's top-level fields, e.g. ['clientId' =>
     * 'acct-42', 'accountUrl' => 'https://module.example/acct/42']; null or [] for none),
     * and everything the module must store for the account: a Registration (registered,
     * answer (send it back with HTTP 200 whatever it says), systemUrl, apiKey (only when
     * registered: a secret, store it), error, fieldErrors (the system's `errors` map)).
     *
     * Module or account JSON that is invalid or not an object throws
     * InvalidArgumentException; a refusal by the system is not an exception (registered
     * false, with error and fieldErrors).
     *
     * @param string|array<string, mixed> $module
     * @param string|array<string, mixed>|null $account
     * @param string|array<string, mixed>|null $httpConfig
     */
    public static function registerAccount(
        string $secret,
        string $formBody,
        string|array $module,
        string|array|null $account = null,
        string|array|null $httpConfig = null,
    ): Registration {
        return Registration::fromJson(Library::callString(
            'b2c_retailcrm_register_account',
            Library::cString($secret, 'secret'),
            $formBody,
            strlen($formBody),
            Library::cString(self::json($module), 'module'),
            $account === null ? null : Library::cString($account === [] ? '{}' : self::json($account), 'account'),
            $httpConfig === null ? null : Library::cString(self::json($httpConfig), 'httpConfig'),
        ));
    }

    private static function json(string|array $value): string
    {
        if (is_string($value)) {
            return $value;
        }
        try {
            return json_encode($value, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        } catch (\JsonException $e) {
            throw new InvalidArgumentException('not JSON-encodable: ' . $e->getMessage(), Status::INVALID_ARGUMENT->value);
        }
    }
}
