<?php

declare(strict_types=1);

namespace B2c;

/**
 * Base of every libb2c failure. getCode() is the b2c_status number (see status()),
 * $httpStatus the HTTP status involved (0 if none).
 */
class B2cException extends \RuntimeException
{
    /** The one mapping from status to exception class; other statuses give B2cException. */
    private const FAMILY = [
        Status::AUTH_REJECTED->value => AuthException::class,
        Status::UNAUTHORIZED->value => AuthException::class,
        Status::NETWORK->value => NetworkException::class,
        Status::TLS->value => NetworkException::class,
        Status::TIMEOUT->value => TimeoutException::class,
        Status::THROTTLED->value => ThrottledException::class,
        Status::PROTOCOL->value => ProtocolException::class,
        Status::HTTP_STATUS->value => ProtocolException::class,
        Status::RESPONSE_TOO_LARGE->value => ProtocolException::class,
        Status::INVALID_ARGUMENT->value => InvalidArgumentException::class,
        Status::NULL_POINTER->value => InvalidArgumentException::class,
        Status::INVALID_UTF8->value => InvalidArgumentException::class,
        Status::CONFIG->value => InvalidArgumentException::class,
        Status::BUFFER_TOO_SMALL->value => InvalidArgumentException::class,
        Status::INSECURE_URL->value => InvalidArgumentException::class,
        Status::IO->value => IoException::class,
        Status::KEY_INVALID->value => KeyFormatException::class,
        Status::KEY_UNSUPPORTED_CURVE->value => KeyFormatException::class,
        Status::KEY_UNSUPPORTED_TYPE->value => KeyFormatException::class,
        Status::KEY_ENCRYPTED->value => KeyFormatException::class,
        Status::FEE_ERROR->value => FeeException::class,
        Status::STILL_PENDING->value => StillPendingException::class,
        Status::CANCELLED->value => CancelledException::class,
        Status::SIGNATURE_INVALID->value => SignatureException::class,
        Status::RESPONSE_SIGNATURE_INVALID->value => SignatureException::class,
        Status::REMOTE->value => RemoteException::class,
        Status::PANIC->value => InternalException::class,
    ];

    public readonly int $httpStatus;

    final public function __construct(string $message, int $code, int $httpStatus = 0, ?\Throwable $previous = null)
    {
        parent::__construct($message, $code, $previous);
        $this->httpStatus = $httpStatus;
    }

    /** The exception class for a status number. */
    public static function classFor(int $status): string
    {
        return self::FAMILY[$status] ?? self::class;
    }

    public static function fromStatus(int $status, string $message, int $httpStatus = 0): self
    {
        $class = self::classFor($status);
        return new $class($message, $status, $httpStatus);
    }

    /** The status as an enum, or null for a status from a newer library. */
    public function status(): ?Status
    {
        return Status::tryFrom($this->getCode());
    }

    public function getHttpStatus(): int
    {
        return $this->httpStatus;
    }
}
