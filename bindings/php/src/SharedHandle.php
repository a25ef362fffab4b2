<?php

declare(strict_types=1);

namespace B2c;

use FFI;

/**
 * Shared handles and token stores (Client, B2binpay). The class names its native functions
 * in NEW_FUNCTION, SHARED_FUNCTION, SET_STORE_FUNCTION and SET_LOG_FUNCTION, its pointer
 * type in POINTER_TYPE and its kind of shared object in SHARED_KIND; NativeHandle::close()
 * calls releaseCallbacks() before it frees the handle.
 */
trait SharedHandle
{
    /** This request's state of the shared native object (a handle from shared()), else null. */
    private ?SharedNative $shared = null;
    /** The token store set from PHP on this (not shared) handle, referenced while installed. */
    private ?NativeTokenStore $tokenStore = null;

    /** @param array<string, mixed> $config */
    private static function configJson(array $config): string
    {
        try {
            return json_encode($config === [] ? new \stdClass() : $config, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        } catch (\JsonException $e) {
            throw new InvalidArgumentException('config is not JSON-encodable: ' . $e->getMessage(), Status::CONFIG->value);
        }
    }

    /** A new native handle from $function (b2c_*_new or b2c_*_shared) with $json. */
    private static function openNative(string $function, string $json): \FFI\CData
    {
        $ffi = Library::ffi();
        $out = $ffi->new(self::POINTER_TYPE);
        $err = Library::newError();
        $st = $ffi->$function($json, FFI::addr($out), FFI::addr($err));
        if ($st !== 0) {
            Library::raise($st, $err);
        }
        return $out;
    }

    /** A handle of the process-wide shared native object for $json. */
    private static function openShared(string $json): self
    {
        $h = (new \ReflectionClass(self::class))->newInstanceWithoutConstructor();
        $ptr = self::openNative(self::SHARED_FUNCTION, $json);
        $h->ptr = $ptr;
        $h->shared = SharedNative::attach($h, $ptr, self::SHARED_KIND, $json, self::SET_LOG_FUNCTION, self::SET_STORE_FUNCTION);
        return $h;
    }

    /** True for a handle from shared(). */
    public function isShared(): bool
    {
        return $this->shared !== null;
    }

    /**
     * Share this handle's tokens with other processes (or hosts) through $store (see
     * TokenStore; RedisTokenStore is one), or detach any store ($store null), the one the
     * `token_store` configuration key set included: tokens then live in this handle only.
     * Set it before the first call that needs a token.
     *
     * On a shared handle (shared()) the store applies to every handle of that shared
     * object, and because its PHP callbacks die with the request it is detached again when
     * the last handle of the object open in this request is closed, and at request
     * shutdown: set it in every request (the file store of the `token_store` key needs no
     * PHP code and serves every request). A shared handle whose configuration has a
     * `token_store` other than memory refuses it (InvalidArgumentException): the store set
     * here would replace the configured one for the rest of the process's life.
     */
    public function setTokenStore(?TokenStore $store): void
    {
        $handle = $this->handle();
        if ($this->shared !== null && $this->shared->configuredStore !== null) {
            throw new InvalidArgumentException(
                'this shared ' . self::KIND . "'s configuration has a token_store of type '{$this->shared->configuredStore}', "
                . 'which serves every request of this process: a store set from PHP would replace it for good. Use a '
                . 'configuration without token_store for a store set from PHP, or a handle that is not shared.',
                Status::INVALID_ARGUMENT->value,
            );
        }
        $holder = $this->shared ?? $this;
        if ($store === null) {
            Library::callStatus(self::SET_STORE_FUNCTION, $handle, null);
            $holder->tokenStore = null;
            LogRouting::untrackStore($holder);
            return;
        }
        $native = new NativeTokenStore($store);
        LogRouting::trackStore($holder);
        Library::callStatus(self::SET_STORE_FUNCTION, $handle, $native->pointer());
        // The previous store's closures stay alive until the end of the request (PHP FFI
        // keeps every closure it converted).
        $holder->tokenStore = $native;
    }

    /**
     * @internal Detach the token store set from PHP on this handle, if any (before the handle
     * is freed, and at request shutdown). Never throws.
     */
    public function detachTokenStore(): void
    {
        if ($this->tokenStore !== null && $this->ptr !== null) {
            try {
                Library::callStatus(self::SET_STORE_FUNCTION, $this->ptr, null);
            } catch (\Throwable) {
            }
        }
        $this->tokenStore = null;
        LogRouting::untrackStore($this);
    }

    /**
     * @internal Before the handle is freed: its own log callback and token store go first (no
     * closure is called for a freed handle); a shared handle leaves the shared object's to
     * the other handles of it open in this request, and removes them when it is the last.
     */
    public function releaseCallbacks(): void
    {
        if ($this->ptr === null) {
            return;
        }
        if ($this->shared !== null) {
            $this->shared->release($this, $this->ptr);
            return;
        }
        $this->detachLogger();
        $this->detachTokenStore();
    }
}
