<?php

declare(strict_types=1);

namespace B2c;

use FFI\CData;

/**
 * One native handle owned by a PHP object (Client, Key, B2binpay, Crm): freed exactly once,
 * by close() or the destructor (after its own log callback and token store are removed, see
 * SharedHandle::releaseCallbacks(), Crm::releaseCallbacks()). For a handle from
 * Client::shared() / B2binpay::shared()
 * that releases this handle only: the shared native object lives on.
 * The class names its free function in FREE_FUNCTION and itself in KIND.
 */
trait NativeHandle
{
    private ?CData $ptr = null;

    /** @internal the native pointer, for calls of this package. */
    public function handle(): CData
    {
        if ($this->ptr === null) {
            throw new ClosedException('this ' . self::KIND . ' is closed', Status::NULL_POINTER->value);
        }
        return $this->ptr;
    }

    public function isClosed(): bool
    {
        return $this->ptr === null;
    }

    public function close(): void
    {
        if ($this->ptr !== null) {
            if (method_exists($this, 'releaseCallbacks')) {
                // Its own callbacks (log, token store) go first: no closure is called for a
                // freed handle (SharedHandle::releaseCallbacks()).
                $this->releaseCallbacks();
            }
            $ptr = $this->ptr;
            $this->ptr = null;
            Library::ffi()->{self::FREE_FUNCTION}($ptr);
        }
    }

    public function __destruct()
    {
        $this->close();
    }
}
