<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * @internal Log routing from libb2c to PSR-3 loggers: the process-wide logger
 * (B2c::setLogger), the handles' own (Client::setLogger, B2binpay::setLogger,
 * Crm::setLogger), and the
 * removal of every callback at request shutdown: log callbacks, and the token stores set
 * from PHP (Client::setTokenStore, B2binpay::setTokenStore), on plain handles and on
 * shared ones (SharedNative: the callbacks of a shared native object, which outlives the
 * request).
 *
 * The native callback is a PHP closure (PHP FFI turns it into a C function pointer). It
 * is kept referenced here (process-wide) or by its handle for as long as it is installed,
 * it copies the event's strings during the call, and no throwable ever leaves it (PHP
 * would abort the process): a logger that throws loses that one event.
 */
final class LogRouting
{
    /** PSR-3 level name (the threshold a logger is set to) => the b2c_log_level delivered. */
    public const MAX_LEVEL = [
        'emergency' => 1,
        'alert' => 1,
        'critical' => 1,
        'error' => 1,   // B2C_LOG_ERROR
        'warning' => 2, // B2C_LOG_WARN
        'notice' => 2,  // no native notice: warning and more severe
        'info' => 3,    // B2C_LOG_INFO
        'debug' => 5,   // B2C_LOG_DEBUG and B2C_LOG_TRACE (both logged at debug)
    ];

    /** b2c_log_level => the PSR-3 level of the record. */
    public const RECORD_LEVEL = [
        1 => 'error',
        2 => 'warning',
        3 => 'info',
        4 => 'debug',
        5 => 'debug',
    ];

    /** sizeof(b2c_log_params) of the first ABI (every field this binding reads). */
    private const PARAMS_SIZE = 48;

    private static ?object $logger = null;
    private static ?\Closure $callback = null;
    private static bool $shutdownRegistered = false;
    private static bool $stderrChanged = false;
    /** @var \WeakMap<object, true>|null the handles (and shared objects) with a log callback of their own */
    private static ?\WeakMap $handles = null;
    /** @var \WeakMap<object, true>|null the handles (and shared objects) with a token store set from PHP */
    private static ?\WeakMap $stores = null;

    private function __construct()
    {
    }

    /** The b2c_log_level for a PSR-3 level name (any case); InvalidArgumentException otherwise. */
    public static function maxLevel(string $level): int
    {
        $max = self::MAX_LEVEL[strtolower($level)] ?? null;
        if ($max === null) {
            throw new InvalidArgumentException(
                "unknown log level '$level': use a PSR-3 level name (" . implode(', ', array_keys(self::MAX_LEVEL)) . ')',
                Status::INVALID_ARGUMENT->value,
            );
        }
        return $max;
    }

    /** The PSR-3 level of a record of b2c_log_level $level (a level from a newer library: the nearest). */
    public static function recordLevel(int $level): string
    {
        return self::RECORD_LEVEL[max(1, min(5, $level))];
    }

    /**
     * Accept a Psr\Log\LoggerInterface (when that interface exists), else any object with a
     * public, non-static log($level, $message, array $context = []) method;
     * InvalidArgumentException for anything else.
     */
    public static function checkLogger(object $logger): void
    {
        if (interface_exists('Psr\Log\LoggerInterface') && $logger instanceof \Psr\Log\LoggerInterface) {
            return;
        }
        $why = null;
        if (!method_exists($logger, 'log')) {
            $why = 'it has no log() method';
        } else {
            $m = new \ReflectionMethod($logger, 'log');
            if (!$m->isPublic() || $m->isStatic()) {
                $why = 'its log() method is not a public instance method';
            } elseif ($m->getNumberOfRequiredParameters() > 3 || ($m->getNumberOfParameters() < 3 && !$m->isVariadic())) {
                $why = 'its log() method does not take ($level, $message, array $context = [])';
            }
        }
        if ($why !== null) {
            throw new InvalidArgumentException(
                'the logger must implement Psr\Log\LoggerInterface or have a public '
                . 'log($level, $message, array $context = []) method; a ' . get_class($logger) . " does not: $why",
                Status::INVALID_ARGUMENT->value,
            );
        }
    }

    /**
     * The native callback for $logger: copies the event and calls
     * $logger->log($psrLevel, $message, ['b2c_target' => ..., 'b2c_event' => ...]); never throws.
     */
    public static function callback(object $logger): \Closure
    {
        return static function ($userdata, $params) use ($logger): void {
            try {
                if (!$params instanceof CData || FFI::isNull($params) || (int) $params->struct_size < self::PARAMS_SIZE) {
                    return;
                }
                $message = FFI::isNull($params->message) ? '' : FFI::string($params->message, (int) $params->message_len);
                $logger->log(self::recordLevel((int) $params->level), $message, [
                    'b2c_target' => FFI::isNull($params->target) ? '' : FFI::string($params->target),
                    'b2c_event' => FFI::isNull($params->event) ? '' : FFI::string($params->event),
                ]);
            } catch (\Throwable) {
                // Dropped: a throwable must not cross the C frames (PHP would abort).
            }
        };
    }

    /** B2c::setLogger(): the process-wide logger, or none ($logger null). */
    public static function setProcessLogger(?object $logger, string $level): void
    {
        if ($logger === null) {
            Library::callStatus('b2c_set_log_callback', null, null, 0);
            self::$callback = null;
            self::$logger = null;
            return;
        }
        $max = self::maxLevel($level);
        self::checkLogger($logger);
        $cb = self::callback($logger);
        self::registerShutdown();
        Library::callStatus('b2c_set_log_callback', $cb, null, $max);
        // The previous closure stays alive until the end of the request (PHP FFI keeps every
        // closure it converted), so replacing it is safe even in the middle of a call.
        self::$callback = $cb;
        self::$logger = $logger;
    }

    /** The process-wide logger B2c::setLogger() installed, or null. */
    public static function processLogger(): ?object
    {
        return self::$logger;
    }

    /** B2c::setLogStderr(). */
    public static function setStderr(bool $on): void
    {
        if (!$on) {
            self::registerShutdown();
            self::$stderrChanged = true;
        }
        Library::ffi()->b2c_set_log_stderr($on ? 1 : 0);
    }

    /** @internal a handle ($handle->detachLogger()) got a callback of its own. */
    public static function track(object $handle): void
    {
        self::$handles ??= new \WeakMap();
        self::$handles[$handle] = true;
        self::registerShutdown();
    }

    /** @internal the handle's callback was removed. */
    public static function untrack(object $handle): void
    {
        if (self::$handles !== null) {
            unset(self::$handles[$handle]);
        }
    }

    /** @internal the number of handles with a callback of their own (for the tests). */
    public static function trackedHandles(): int
    {
        return self::$handles === null ? 0 : count(self::$handles);
    }

    /** @internal a handle (or shared object: $holder->detachTokenStore()) got a token store set from PHP. */
    public static function trackStore(object $holder): void
    {
        self::$stores ??= new \WeakMap();
        self::$stores[$holder] = true;
        self::registerShutdown();
    }

    /** @internal its token store was detached. */
    public static function untrackStore(object $holder): void
    {
        if (self::$stores !== null) {
            unset(self::$stores[$holder]);
        }
    }

    /** @internal the number of handles (and shared objects) with a token store set from PHP (for the tests). */
    public static function trackedStores(): int
    {
        return self::$stores === null ? 0 : count(self::$stores);
    }

    /**
     * Request shutdown: remove every callback this request installed (the handles' own log
     * callbacks, those of shared objects, the process-wide one, and every token store set
     * from PHP) and switch the stderr line back on if it was switched off, so that no
     * closure of a finished request is ever called (under PHP-FPM the library, its
     * process-wide state and its shared clients outlive the request). Registered with
     * register_shutdown_function(); it re-registers itself once so that it runs after the
     * shutdown functions registered later in the request. Callable directly (the tests do).
     */
    public static function shutdown(): void
    {
        $handles = [];
        foreach (self::$handles ?? [] as $handle => $_) {
            $handles[] = $handle; // detachLogger() untracks: not while iterating the map
        }
        self::$handles = null;
        foreach ($handles as $handle) {
            try {
                $handle->detachLogger();
            } catch (\Throwable) {
            }
        }
        $stores = [];
        foreach (self::$stores ?? [] as $holder => $_) {
            $stores[] = $holder;
        }
        self::$stores = null;
        foreach ($stores as $holder) {
            try {
                $holder->detachTokenStore();
            } catch (\Throwable) {
            }
        }
        try {
            if (self::$callback !== null) {
                Library::callStatus('b2c_set_log_callback', null, null, 0);
            }
            if (self::$stderrChanged) {
                Library::ffi()->b2c_set_log_stderr(1);
            }
        } catch (\Throwable) {
        }
        self::$callback = null;
        self::$logger = null;
        self::$stderrChanged = false;
        self::$shutdownRegistered = false;
    }

    private static function registerShutdown(): void
    {
        if (!self::$shutdownRegistered) {
            self::$shutdownRegistered = true;
            // A function registered while the shutdown functions run is appended to the
            // queue: shutdown() then runs after those registered later in the request.
            register_shutdown_function(static function (): void {
                register_shutdown_function([self::class, 'shutdown']);
            });
        }
    }
}
