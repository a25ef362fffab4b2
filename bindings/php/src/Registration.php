<?php

declare(strict_types=1);

namespace B2c;

/**
 * The outcome of RetailCrm::registerAccount(): the answer to send back to RetailCRM (always,
 * with HTTP 200) and what the module must store for the account.
 */
final class Registration
{
    private function __construct(
        /** True when the token was right and the system accepted the module edit. */
        public readonly bool $registered,
        /** The JSON to send back with HTTP 200 (success with the accountUrl, or {"success":false,"errorMsg":...}). */
        public readonly string $answer,
        /** The account's register[systemUrl] (null when the form had none). */
        public readonly ?string $systemUrl,
        /**
         * The account's API key, only when registered: store it (it is a SECRET: the CRM
         * account's key for every later call to its system), never log it.
         */
        public readonly ?string $apiKey,
        /** Why it was not registered (a wrong token, the system's errorMsg, ...), else null. */
        public readonly ?string $error,
        /**
         * The system's `errors` map (field => message, e.g. "integrationModule[clientId]")
         * when it refused the edit with one, else null.
         *
         * @var array<string, mixed>|null
         */
        public readonly ?array $fieldErrors,
    ) {
    }

    /** @internal Parse the result JSON of b2c_retailcrm_register_account. */
    public static function fromJson(string $json): self
    {
        try {
            $d = json_decode($json, true, 64, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        } catch (\JsonException) {
            $d = null;
        }
        if (!is_array($d) || !is_bool($d['registered'] ?? null) || !is_string($d['answer'] ?? null)) {
            throw new ProtocolException('libb2c register_account result is not the documented JSON object', Status::PROTOCOL->value);
        }
        $str = static fn (mixed $v): ?string => is_string($v) ? $v : null;
        $fields = $d['field_errors'] ?? null;
        return new self(
            $d['registered'],
            $d['answer'],
            $str($d['system_url'] ?? null),
            $str($d['api_key'] ?? null),
            $str($d['error'] ?? null),
            is_array($fields) ? $fields : null,
        );
    }

    public function __debugInfo(): array
    {
        return [
            'registered' => $this->registered,
            'answer' => $this->answer,
            'systemUrl' => $this->systemUrl,
            'apiKey' => $this->apiKey === null ? null : '(redacted)',
            'error' => $this->error,
            'fieldErrors' => $this->fieldErrors,
        ];
    }
}
