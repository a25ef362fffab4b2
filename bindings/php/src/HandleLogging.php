<?php

declare(strict_types=1);

namespace B2c;

/**
 * A handle's own logger and its statistics (Client, B2binpay, which also use SharedHandle,
 * and Crm). The class names its native functions in SET_LOG_FUNCTION and STATS_FUNCTION;
 * its releaseCallbacks() (SharedHandle's, or Crm's own) calls detachLogger() before the
 * handle is freed.
 */
trait HandleLogging
{
    /** The installed native callback, referenced for as long as it is installed. */
    private ?\Closure $logCallback = null;

    /**
     * Route this handle's log events to $logger (a PSR-3 Psr\Log\LoggerInterface, or any
     * object with a public log($level, $message, array $context = []) method) for events of
     * $level (a PSR-3 level name) and more severe, instead of the process-wide logger
     * (B2c::setLogger). null removes it: the process-wide logger applies again.
     *
     * The logger is called during this handle's calls, on the calling thread; it must not
     * call this handle (stats() aside). An exception it throws loses that event only.
     *
     * On a shared handle (shared()) the logger applies to every handle of that shared
     * object; it is removed when the last handle of the object open in this request is
     * closed, and at request shutdown (its PHP closure dies with the request, the shared
     * object does not): set it in every request.
     */
    public function setLogger(?object $logger, string $level = 'warning'): void
    {
        $handle = $this->handle();
        // A shared handle's callback is the shared object's (SharedHandle, SharedNative). A
        // class without SharedHandle (Crm) has no $shared property: `??` reads it as null.
        $holder = $this->shared ?? $this;
        if ($logger === null) {
            Library::callStatus(self::SET_LOG_FUNCTION, $handle, null, null, 0);
            $holder->logCallback = null;
            LogRouting::untrack($holder);
            return;
        }
        $max = LogRouting::maxLevel($level);
        LogRouting::checkLogger($logger);
        $cb = LogRouting::callback($logger);
        LogRouting::track($holder);
        Library::callStatus(self::SET_LOG_FUNCTION, $handle, $cb, null, $max);
        $holder->logCallback = $cb;
    }

    /** This handle's statistics since its creation. */
    public function stats(): Stats
    {
        return Stats::fromJson(Library::callString(self::STATS_FUNCTION, $this->handle()));
    }

    /**
     * @internal Remove this handle's own callback, if any (before the handle is freed, and
     * at request shutdown). Never throws.
     */
    public function detachLogger(): void
    {
        if ($this->logCallback !== null && $this->ptr !== null) {
            try {
                Library::callStatus(self::SET_LOG_FUNCTION, $this->ptr, null, null, 0);
            } catch (\Throwable) {
            }
        }
        $this->logCallback = null;
        LogRouting::untrack($this);
    }
}
