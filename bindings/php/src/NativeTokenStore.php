<?php

declare(strict_types=1);

namespace B2c;

use FFI;
use FFI\CData;

/**
 * @internal A TokenStore as the `b2c_token_store` struct of four C callbacks (PHP closures
 * that PHP FFI turns into C function pointers).
 *
 * The struct and the closures are kept referenced by this object, and this object by the
 * handle (or the shared client's state) it is installed on, for as long as it is
 * installed. No throwable ever leaves a callback (PHP would abort the process): a store
 * that throws (or returns a wrong type) is a store failure, B2C_STORE_ERROR, which libb2c
 * logs (event `store`) and goes on without.
 */
final class NativeTokenStore
{
    public const OK = 0;             // B2C_STORE_OK
    public const NOT_FOUND = 1;      // B2C_STORE_NOT_FOUND
    public const BUFFER_TOO_SMALL = 2; // B2C_STORE_BUFFER_TOO_SMALL
    public const LOCK_TIMEOUT = 3;   // B2C_STORE_LOCK_TIMEOUT
    public const ERROR = -1;         // B2C_STORE_ERROR

    public readonly TokenStore $store;
    private CData $struct;
    /** @var list<\Closure> */
    private array $closures;
    /** The last throwable a store method threw (for diagnostics; never rethrown). */
    public ?\Throwable $lastError = null;

    public function __construct(TokenStore $store)
    {
        $this->store = $store;
        $s = Library::ffi()->new('b2c_token_store');
        $s->struct_size = FFI::sizeof($s);
        $s->userdata = null;
        $fail = function (\Throwable $t): int {
            $this->lastError = $t;
            return self::ERROR;
        };
        $load = static function ($userdata, $key, $buf, $bufLen, $outLen) use ($store, $fail): int {
            try {
                $value = $store->load(self::key($key));
                if ($value === null) {
                    return self::NOT_FOUND;
                }
                $len = strlen($value);
                $outLen[0] = $len;
                if ($len > (int) $bufLen) {
                    return self::BUFFER_TOO_SMALL;
                }
                if ($len > 0) {
                    FFI::memcpy($buf, $value, $len);
                }
                return self::OK;
            } catch (\Throwable $t) {
                return $fail($t);
            }
        };
        $save = static function ($userdata, $key, $value, $len) use ($store, $fail): int {
            try {
                $len = (int) $len;
                $store->save(self::key($key), $len === 0 ? '' : FFI::string($value, $len));
                return self::OK;
            } catch (\Throwable $t) {
                return $fail($t);
            }
        };
        $lock = static function ($userdata, $key, $timeoutMs, $leaseMs) use ($store, $fail): int {
            try {
                return $store->lock(self::key($key), (int) $timeoutMs, (int) $leaseMs) ? self::OK : self::LOCK_TIMEOUT;
            } catch (\Throwable $t) {
                return $fail($t);
            }
        };
        $unlock = static function ($userdata, $key) use ($store, $fail): void {
            try {
                $store->unlock(self::key($key));
            } catch (\Throwable $t) {
                $fail($t);
            }
        };
        $s->load = $load;
        $s->save = $save;
        $s->lock = $lock;
        $s->unlock = $unlock;
        $this->struct = $s;
        $this->closures = [$load, $save, $lock, $unlock];
    }

    /** A pointer to the struct, for b2c_*_set_token_store (valid while this object lives). */
    public function pointer(): CData
    {
        return FFI::addr($this->struct);
    }

    /** The key argument: PHP FFI passes a `const char *` argument of a callback as a string. */
    private static function key(mixed $key): string
    {
        if (is_string($key)) {
            return $key;
        }
        if ($key instanceof CData && !FFI::isNull($key)) {
            return FFI::string($key);
        }
        throw new InvalidArgumentException('token store: no key', Status::NULL_POINTER->value);
    }
}
