<?php

declare(strict_types=1);

namespace B2c;

/**
 * Library-wide functions: the same names in every binding (b2c.version(), b2c.status_str(),
 * b2c.clear_shared()), and the process-wide log routing.
 */
final class B2c
{
    private function __construct()
    {
    }

    /** The libb2c version, e.g. "0.1.0" (b2c_version). */
    public static function version(): string
    {
        return Library::ffi()->b2c_version();
    }

    /** The library's static description of any status number, unknown values included (b2c_status_str). */
    public static function statusString(int $status): string
    {
        return Library::ffi()->b2c_status_str($status);
    }

    /**
     * Drop the shared native clients and B2BINPAY handles (Client::shared(),
     * B2binpay::shared()) that no handle holds any more, in this request or another;
     * returns how many were dropped (b2c_shared_clear). Those still held are untouched.
     * Without it they live until the process ends (each PHP-FPM worker keeps its own), so
     * that the next request with the same configuration finds its tokens and connections.
     */
    public static function clearShared(): int
    {
        return (int) Library::ffi()->b2c_shared_clear();
    }

    /**
     * Route the log events of every handle without a logger of its own to $logger, a PSR-3
     * Psr\Log\LoggerInterface (when that interface exists) or any object with a public
     * log($level, $message, array $context = []) method (else InvalidArgumentException),
     * for events of $level (a PSR-3 level name, any case) and more severe: error (and
     * emergency, alert, critical) delivers ERROR; warning (and notice) WARN too; info INFO
     * too; debug everything (DEBUG and TRACE). Records get the PSR-3 levels error, warning,
     * info, debug (TRACE -> debug), the message (secrets already redacted by the library)
     * and the context ['b2c_target' => 'b2copy'|'b2binpay'|'retailcrm'|'http'|'dns',
     * 'b2c_event' => 'auth'|'refresh'|'retry'|...]. null removes it (events then go nowhere,
     * except the library's own stderr line for must-see events, see setLogStderr()).
     *
     * Nothing is installed by default. Installing a logger registers a shutdown function that
     * removes it (and every handle's own) at the end of the request. The logger runs inside
     * the library call that logs; an exception it throws loses that event only.
     */
    public static function setLogger(?object $logger, string $level = 'warning'): void
    {
        LogRouting::setProcessLogger($logger, $level);
    }

    /**
     * The library's one stderr line for events that must never go unseen (a suspicious
     * B2BINPAY refresh), written only when no logger receives the event: on (the default)
     * or off. Process-wide; switched back on at the end of the request.
     */
    public static function setLogStderr(bool $on): void
    {
        LogRouting::setStderr($on);
    }
}
