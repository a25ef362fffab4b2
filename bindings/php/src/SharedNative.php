<?php

declare(strict_types=1);

namespace B2c;

use FFI\CData;

/**
 * @internal This request's view of one process-wide shared native object (Client::shared(),
 * B2binpay::shared()): the PHP handles of it open in this request, and the PHP callbacks
 * installed on it (a log callback, a token store), which apply to every handle of the
 * object.
 *
 * The native object outlives the request (PHP-FPM keeps it for the worker's next request);
 * the PHP closures die with the request. So the callbacks belong to the object, not to the
 * handle that set them: closing one handle leaves them to the others; they are removed
 * when the last handle of the object open in this request is closed (or destroyed) and at
 * request shutdown (LogRouting::shutdown()). And the first shared() of an object in a
 * request removes any callback a previous request left behind (one whose shutdown was cut
 * short: a fatal error after a shutdown function that called exit()). This assumes one
 * request at a time per process (PHP-FPM, CLI; not a threaded SAPI).
 */
final class SharedNative
{
    /** @var array<string, self> by kind and canonical configuration, for this request */
    private static array $objects = [];

    /** @var \WeakMap<object, true> the open handles of this object */
    private \WeakMap $handles;
    /** The log callback installed on the object, referenced while installed. */
    public ?\Closure $logCallback = null;
    /** The token store installed on the object, referenced while installed. */
    public ?NativeTokenStore $tokenStore = null;

    /**
     * @param string $setLog the native b2c_*_set_log_callback
     * @param string $setStore the native b2c_*_set_token_store
     * @param string|null $configuredStore the type of the configuration's token_store other than memory ("file"), or null
     */
    private function __construct(
        private readonly string $setLog,
        private readonly string $setStore,
        public readonly ?string $configuredStore,
    ) {
        $this->handles = new \WeakMap();
    }

    /**
     * Register $handle (just made by b2c_*_shared with $json; its pointer is $ptr) and
     * return the state of its object.
     */
    public static function attach(object $handle, CData $ptr, string $kind, string $json, string $setLog, string $setStore): self
    {
        $id = self::identity($kind, $json);
        $obj = self::$objects[$id] ?? null;
        if ($obj === null) {
            $obj = new self($setLog, $setStore, self::configuredStore($json));
            self::$objects[$id] = $obj;
            // First use in this request: nothing of this request is installed on it; anything
            // installed is a previous request's (its closures are gone). The memory store is the
            // default (no store), so detaching leaves a configured file store alone.
            try {
                Library::callStatus($setLog, $ptr, null, null, 0);
                if ($obj->configuredStore === null) {
                    Library::callStatus($setStore, $ptr, null);
                }
            } catch (\Throwable) {
            }
        }
        $obj->handles[$handle] = true;
        return $obj;
    }

    /** The handle is being freed: when it is the last open one, remove the callbacks through it. */
    public function release(object $handle, CData $ptr): void
    {
        unset($this->handles[$handle]);
        if (count($this->handles) === 0) {
            $this->detach($ptr);
        }
    }

    /** How many handles of this object are open in this request. */
    public function openHandles(): int
    {
        return count($this->handles);
    }

    /** LogRouting::shutdown(): remove the log callback. Never throws. */
    public function detachLogger(): void
    {
        $ptr = $this->anyPointer();
        if ($this->logCallback !== null && $ptr !== null) {
            try {
                Library::callStatus($this->setLog, $ptr, null, null, 0);
            } catch (\Throwable) {
            }
        }
        $this->logCallback = null;
        LogRouting::untrack($this);
    }

    /** LogRouting::shutdown(): remove the token store. Never throws. */
    public function detachTokenStore(): void
    {
        $ptr = $this->anyPointer();
        if ($this->tokenStore !== null && $ptr !== null) {
            try {
                Library::callStatus($this->setStore, $ptr, null);
            } catch (\Throwable) {
            }
        }
        $this->tokenStore = null;
        LogRouting::untrackStore($this);
    }

    private function detach(CData $ptr): void
    {
        try {
            if ($this->logCallback !== null) {
                Library::callStatus($this->setLog, $ptr, null, null, 0);
            }
            if ($this->tokenStore !== null) {
                Library::callStatus($this->setStore, $ptr, null);
            }
        } catch (\Throwable) {
        }
        $this->logCallback = null;
        $this->tokenStore = null;
        LogRouting::untrack($this);
        LogRouting::untrackStore($this);
    }

    private function anyPointer(): ?CData
    {
        foreach ($this->handles as $handle => $_) {
            if (!$handle->isClosed()) {
                return $handle->handle();
            }
        }
        return null;
    }

    /**
     * What identifies the native object: the kind and a SHA-256 of the configuration's
     * canonical JSON (object keys sorted, recursively), as the library's registry keys it
     * (so no copy of the configuration's secrets is kept).
     */
    private static function identity(string $kind, string $json): string
    {
        $v = json_decode($json, false, 512, JSON_THROW_ON_ERROR | JSON_BIGINT_AS_STRING);
        return $kind . ':' . hash('sha256', self::canonical($v));
    }

    private static function canonical(mixed $v): string
    {
        if ($v instanceof \stdClass) {
            $members = get_object_vars($v);
            ksort($members, SORT_STRING);
            $out = [];
            foreach ($members as $k => $x) {
                $out[] = json_encode((string) $k, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE) . ':' . self::canonical($x);
            }
            return '{' . implode(',', $out) . '}';
        }
        if (is_array($v)) {
            return '[' . implode(',', array_map([self::class, 'canonical'], $v)) . ']';
        }
        return json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRESERVE_ZERO_FRACTION);
    }

    /** The type of the configuration's token_store when it is not the memory store. */
    private static function configuredStore(string $json): ?string
    {
        $c = json_decode($json, true);
        $type = is_array($c) && is_array($c['token_store'] ?? null) ? ($c['token_store']['type'] ?? null) : null;
        return is_string($type) && $type !== 'memory' ? $type : null;
    }
}
